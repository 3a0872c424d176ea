"""Words copied back out of our PDFs (issue 21, item 1): how many come back exactly, per language and
per reader, from each letter's own PDF and from a compilation.

What it does, in-process, on a throw-away SQLite file: publishes the letters of bench/lib/words.py
(every word of the demo letters, and lines with tanween, shadda, lam-alef, niqqud and mixed
directions; three letters a language), renders each letter's PDF as the site serves it
(rendering.render_letter) and one compilation of all of them (assembly.build, the Hebrew edition,
cover and contents included), and reads each PDF with pypdf, poppler's pdftotext and PDFium
(pypdfium2). A word is right when the reader's text holds it exactly, after NFC, as often as the
letter does (punctuation around a word and direction marks are not compared). A distinct word is
counted wrong once if any PDF it is in loses it, and said why it may be: it stands where scripts meet, it
has a lam-alef or an Arabic or Hebrew mark, or neither.

Run from the repository root (about 15 s):

    .venv/bin/python -m bench.pdf_text
    .venv/bin/python -m bench.pdf_text --show 10      # and up to 10 wrong words per row, as read
"""

from __future__ import annotations

import argparse
import tempfile
from collections import defaultdict
from pathlib import Path

from bench.lib import words
from bench.lib.databases import Database, SQLiteBackend
from bench.lib.report import code_state, command_line, table

LANGUAGES = tuple(words.CORPUS)
# Why a word came back wrong: it stands where scripts meet (a reader orders the runs of two
# directions by its own rules), it has a lam-alef or a mark (poppler and PDFium put the characters of
# one glyph, or a mark drawn above its letter, out of order), or neither.
KINDS = ("scripts meet", "lam-alef or mark", "other")


def measure(workdir: Path) -> dict[tuple[str, str, str], tuple[set[str], dict[str, str]]]:
    """(kind, language, reader) -> (distinct words checked, wrong word -> (what the reader read instead, why))."""
    database = Database.create(SQLiteBackend(workdir), "words", workdir)
    results: dict = defaultdict(lambda: (set(), {}))
    with database.app.app_context():
        documents = words.corpus_pdfs()
        texts: dict[tuple[int, str], str] = {}
        for kind, draft, data in documents:
            for reader in words.READERS:
                text = texts.setdefault((id(data), reader), words.read(data, reader))
                checked, wrong = results[kind, draft["language"], reader]
                expected = words.letter_words(draft)
                checked.update(expected)
                mixed = words.where_scripts_meet(draft)
                for word in set(words.missing(expected, text)):
                    kind_of = "scripts meet" if word in mixed else "lam-alef or mark" if words.shaped(word) else "other"
                    wrong.setdefault(word, (_seen_as(word, text), kind_of))
    database.release()
    return results


def _seen_as(word: str, text: str) -> str:
    """What a reader made of a word, roughly: the extracted word most like it (for the report)."""
    import difflib

    close = difflib.get_close_matches(word, set(words.words(text)), n=1, cutoff=0.3)
    return close[0] if close else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--show", type=int, default=0, metavar="N", help="list up to N wrong words per row, as read")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-pdf-text-") as folder:
        results = measure(Path(folder))
    rows, details = [], []
    for kind in ("letter PDF", "compilation"):
        for language in LANGUAGES:
            for reader in words.READERS:
                checked, wrong = results[kind, language, reader]
                kinds = [kind_of for _seen, kind_of in wrong.values()]
                rows.append([kind, language, reader, str(len(checked)), str(len(wrong)), *(str(kinds.count(k)) for k in KINDS)])
                for word, (seen, kind_of) in sorted(wrong.items())[: args.show]:
                    details.append(f"  {kind} · {language} · {reader}: {word} -> {seen} ({kind_of})")
    print(f"Words copied back exactly ({code_state()}; {command_line()})\n")
    print(table(["PDF", "language", "reader", "words checked", "words wrong", *(f"of which: {k}" for k in KINDS)], rows, markdown=True))
    if details:
        print("\n" + "\n".join(details))


if __name__ == "__main__":
    main()
