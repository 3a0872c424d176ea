"""Where a compilation's build time goes: each part timed alone, in one warm process.

bench/pdf.py measures builds as wholes (from nothing, after one approval). A rebuild after one
approval is made of parts: the new letter laid out and written, a new cover, the last page of
contents, and the assembly; when the builder service prepared them while the letter waited for a moderator,
only the assembly. A build from nothing adds every letter, every page of contents and, once, the
pages of digits that page numbers are stamped from (two a set). This times each part alone,
median of --rounds, in a process that warmed up as the builder service does when it starts
(compilation.warm_up()), and sets it beside the budget the issue gives a rebuild after one approval:
10% of the full build, timed in the same process.

Run from the repository root:

    .venv/bin/python -m bench.pdf_parts                     # 10 and 100 letters, about 30 s
    .venv/bin/python -m bench.pdf_parts --sizes 10,100,1000 --rounds 5

Prints a Markdown table (and writes it to bench/results/pdf-parts.md, git-ignored; --output to
change). SQLite databases in a temporary folder, removed at the end.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from bench.pdf import LANGUAGE, seed_with_fixed_ids
from bench.lib.databases import Database, SQLiteBackend
from bench.lib.report import table


def time_median_ms(work: Callable[[], object], rounds: int, before: Callable[[], object] = lambda: None) -> float:
    """The median time of `work` over `rounds`, in milliseconds (`before` runs untimed each round)."""
    times = []
    for _ in range(rounds):
        before()
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def measure(size: int, rounds: int, workdir: Path) -> list[str]:
    from refusal_site import compilation

    database = Database.create(SQLiteBackend(workdir), f"parts{size}", workdir)
    seed_with_fixed_ids(database, size, print)
    with database.app.app_context():
        compilation.warm_up()
        fonts = compilation._pool_fonts()
        cache = compilation.cache_folder()
        selection = compilation.Selection()
        selected = selection.letters()
        # A build from nothing, in this warm process (the budget's base: the service's own full build).
        full = time_median_ms(lambda: compilation.build(selection, LANGUAGE), 1 if size > 100 else rounds,
                         before=lambda: shutil.rmtree(cache, ignore_errors=True))
        newest = compilation.printed(selected[-1:])
        letter = time_median_ms(lambda: compilation.letters_document(newest, fonts).write_pdf(), rounds)
        pages = compilation._contents(selected, LANGUAGE)
        cover_data = compilation._cover(selection, selected, LANGUAGE)
        cover = time_median_ms(lambda: compilation._render_front(LANGUAGE, fonts, cover_data, [], digits=False), rounds)
        last = len(pages) - 1
        last_page = time_median_ms(lambda: compilation._render_front(LANGUAGE, fonts, None, [(last, pages[last])], digits=False), rounds)
        together = time_median_ms(lambda: compilation._render_front(LANGUAGE, fonts, cover_data, [(last, pages[last])], digits=False), rounds)
        full_page = "-"
        if len(pages[0]) == compilation.CONTENTS_ROWS:
            full_page = f"{time_median_ms(lambda: compilation._render_front(LANGUAGE, fonts, None, [(0, pages[0])], digits=False), rounds):.1f}"
        digits = time_median_ms(lambda: compilation._render_front(LANGUAGE, fonts, None, [], digits=True), rounds,
                           before=lambda: shutil.rmtree(cache / "numbers", ignore_errors=True))
        placed = [compilation._placed(compilation.letter_fingerprint(letter)) for letter in selected]
        output = workdir / f"assembled-{size}.pdf"
        front = compilation._front(selection, selected, LANGUAGE, pages, [])  # every part kept: what a prepared approval assembles
        assembly = time_median_ms(lambda: compilation._assemble(selection, selected, LANGUAGE, front, placed, output), rounds)
        # A prepared approval's whole build: the letters' query, fingerprints, kept parts found, assembly.
        prepared = time_median_ms(lambda: compilation._build(selection, selection.letters(), LANGUAGE, output), rounds)
    database.release()
    return [f"{size:,}", f"{full:.0f}", f"{full / 10:.1f}", f"{letter:.1f}", f"{cover:.1f}", f"{last_page:.1f} ({len(pages[-1])})",
            f"{together:.1f}", full_page, f"{digits:.1f}", f"{assembly:.1f}", f"{prepared:.1f}"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100", help="comma-separated numbers of published letters (default 10,100)")
    parser.add_argument("--rounds", type=int, default=9, help="rounds per part (default 9)")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "pdf-parts.md")
    args = parser.parse_args()
    from refusal_site.compilation import CONTENTS_ROWS

    headers = ["letters", "full build ms", "10% budget ms", "one letter ms", "cover ms", "last contents page ms (entries)",
               "cover + last page in one document ms", f"contents page of {CONTENTS_ROWS} ms", "pages of digits ms", "assembly ms",
               "prepared approval build ms"]
    with tempfile.TemporaryDirectory(prefix="refusal-pdf-parts-") as folder:
        rows = [measure(int(size), args.rounds, Path(folder)) for size in args.sizes.split(",")]
    report = "\n".join([
        "# The parts of a compilation build (warm process, medians)",
        "",
        f"Command: `.venv/bin/python -m bench.pdf_parts --sizes {args.sizes} --rounds {args.rounds}`; compilation language {LANGUAGE}.",
        "A rebuild after one approval that was not prepared renders the letter (in a worker, beside the rest), the cover and",
        "the last page of contents (one document), then assembles. One the builder service prepared while the letter waited",
        "(compilation.prepare) finds them all kept and only assembles: the last column is that whole build (compilation._build).",
        "",
        table(headers, rows, markdown=True),
    ])
    print(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
