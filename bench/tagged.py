"""Every PDF the site serves is tagged (PDF/UA-1), at 10, 100 and 1,000 letters: what the `pdfua`
checker finds (errors, warnings), what a screen reader could not reach through the tags
(tests.pdfs.untagged), the letters' headings in the tags against the letters, qpdf --check and
pdffonts (every font embedded), and how long each build took.

For each size: demo letters (demo.seed through bench.lib.databases, fixed seeds), then the
compilations the site serves (all letters in he, ar and en; each language edition in its
language; the later half of the letters by date), and the PDFs of three letters of the largest size, one of each language.

    .venv/bin/python -m bench.tagged                 # 10, 100, 1,000 letters, about 3 minutes on 2 cores
    .venv/bin/python -m bench.tagged --sizes 10 100
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.lib.databases import Database, SQLiteBackend


def _fonts_embedded(path: Path) -> bool:
    lines = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    return bool(lines) and all(" yes " in line.split("Identity-H", 1)[-1] for line in lines)


def _qpdf_ok(path: Path) -> bool:
    done = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    return done.returncode == 0 and "No syntax or stream encoding errors" in done.stdout


def _check(path: Path, headings: list[str] | None) -> list[str]:
    from pdfua import Severity, validate

    from tests.pdfs import tagged, untagged

    findings = validate(str(path)).findings
    errors = sum(f.severity == Severity.ERROR for f in findings)
    warnings = sum(f.severity == Severity.WARNING for f in findings)
    unreached = untagged(path)
    row = [str(errors), str(warnings), str(len(unreached)), "yes" if _qpdf_ok(path) else "NO", "yes" if _fonts_embedded(path) else "NO"]
    if headings is not None:
        found = [text for _role, text in tagged(path, {"/H1"})][1:]  # after the cover's title
        in_order = len(found) == len(headings) and all(set(want.split()) <= set(text.split()) for want, text in zip(headings, found))
        row.append(f"{len(found):,} of {len(headings):,}{'' if in_order else ' NOT IN ORDER'}")
    else:
        row.append("")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-tagged-"))
    database = Database.create(SQLiteBackend(work), "tagged", work)
    print("| letters | PDF | build s | pages | pdfua errors | pdfua warnings | unreached in tags | qpdf --check | fonts embedded | letters' headings in the tags |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for size in sorted(args.sizes):
        database.seed_to(size, lambda line: print(line, file=sys.stderr))
        with database.app.app_context():
            import pikepdf

            from refusal_site.compilation import assembly, one_letter, selection
            from refusal_site.extensions import db

            everything = selection.Selection().letters()
            since = selection.day(everything[len(everything) // 2].published_at)  # the later half
            editions = [(selection.Selection(), language) for language in ("he", "ar", "en")]
            editions += [(selection.Selection(language=language), language) for language in ("he", "ar", "en")]
            editions += [(selection.Selection(since=since), "he")]
            for edition, language in editions:
                started = time.perf_counter()
                built = assembly.build(edition, language)
                took = time.perf_counter() - started
                chosen = edition.letters()
                with pikepdf.open(built.path) as pdf:
                    pages = len(pdf.pages)
                headings = [letter.title or letter.display_name for letter in chosen]
                name = f"{edition.name} in {language}"
                print(f"| {size:,} | {name} ({len(chosen):,} letters) | {took:.1f} | {pages:,} | " + " | ".join(_check(built.path, headings)) + " |", flush=True)
            if size == max(args.sizes):
                for language in ("he", "ar", "en"):
                    letter = next((letter for letter in everything if letter.language == language), None)
                    if letter is not None:
                        path, _ = one_letter.pdf(letter)
                        print(f"| {size:,} | letter {letter.public_id} ({language}) | | 1+ | " + " | ".join(_check(path, None)) + " |", flush=True)
            db.session.remove()
    print(f"\ncommand: .venv/bin/python -m bench.tagged --sizes {' '.join(map(str, args.sizes))}  (work folder {work})")


if __name__ == "__main__":
    main()
