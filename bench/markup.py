"""Letter markup and the press: where WeasyPrint breaks, and what the sanitizer's bounds cost.

What it measures, in one run, in-process (no server, no database but a throw-away SQLite file):

1. Where WeasyPrint breaks: for each shape of nested markup (em separated by spaces, lists,
   block quotes, lists directly in lists, a mix), the smallest nesting depth at which laying out a
   letter's pages and writing them tagged, as the app does (rendering.write_tagged), raises
   (found by bisection on HTML written past the sanitizer, as a letter stored
   before its bounds was), and the element depth that is.
2. The bounds' margin: the same shapes through sanitize.text_to_html at 10 times the depth that
   broke (cut to a letter's 20,000 characters), laid out with a fifth of the recursion limit
   already used; they must all render.
3. What a letter at the bounds costs to lay out: 2,000 line breaks, 2,000 emphasised words, a
   20,000-character letter of plain paragraphs (median of 3 each), and a letter of a page, as the
   review page's trial render does it (first in a process, then warm).
4. Sanitizing a 5 KB letter, median of many runs (compare with bench/submit.py's figure).

Run from the repository root:

    .venv/bin/python -m bench.markup
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

# Spaces between the tags, as the testers sent them: the letter form refuses any "word" (tags
# included) over 300 characters, and a long unbroken run is a cost of its own for line breaking.
SHAPES = {
    "em": lambda n: "<p>" + "<em> " * n + "x" + " </em>" * n + "</p>",
    "ul > li": lambda n: "<ul> <li> " * n + "x" + "</li> </ul> " * n,
    "ul > ul": lambda n: "<ul> " * n + "<li>x</li>" + "</ul> " * n,
    "blockquote": lambda n: "<blockquote> " * n + "x" + "</blockquote> " * n,
    "em strong ul li blockquote": lambda n: "<em> <strong> <ul> <li> <blockquote> " * (n // 5 + 1) + "x",
}
LETTER_MAX = 20_000  # characters (letters.LIMITS)
ELEMENTS_PER_LEVEL = {"ul > li": 2}


def _letter(html: str, language: str = "he"):
    from refusal_site.compilation.selection import PrintedLetter

    return PrintedLetter(public_id="bench-letter-01", display_name="דנה כהן", descriptor=None, title=None, language=language,
                         body_html=html, published_at=datetime.now(UTC), collective=False, signers=(), fingerprint="bench")


def _renders(html: str) -> bool:
    from refusal_site.compilation.rendering import letters_document, write_tagged

    try:
        write_tagged(letters_document([_letter(html)]))
    except RecursionError:
        return False
    return True


def breaking_depth(shape) -> int:
    low, high = 1, 1024  # renders at low, fails at high
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if _renders(shape(middle)) else (low, middle)
    return high


def _at_stack_depth(frames: int, call):
    return call() if frames == 0 else _at_stack_depth(frames - 1, call)


def _seconds(call, runs: int = 3) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    from refusal_site import create_app, sanitize
    from refusal_site.compilation.pages import render_run
    from refusal_site.compilation.rendering import letters_document, write_tagged
    from tests.factories import TEXTS

    folder = Path(tempfile.mkdtemp(prefix="bench-markup-"))
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
                      "INSTANCE_PATH": str(folder / "instance")})
    with app.app_context(), app.test_request_context():
        print(f"bounds: depth {sanitize.MAX_DEPTH}, elements {sanitize.MAX_ELEMENTS}; recursion limit {sys.getrecursionlimit()}\n")
        first = _seconds(lambda: render_run([_letter(sanitize.text_to_html(TEXTS["he"]))], None), runs=1)
        print("| shape | breaks at nesting | element depth | 10x through text_to_html |")
        print("|---|---:|---:|---|")
        for name, shape in SHAPES.items():
            depth = breaking_depth(shape)
            bounded = sanitize.text_to_html(shape(10 * depth)[:LETTER_MAX])
            ok = _at_stack_depth(sys.getrecursionlimit() // 5, lambda: write_tagged(letters_document([_letter(bounded)])))
            print(f"| {name} | {depth} | {depth * ELEMENTS_PER_LEVEL.get(name, 1)} | {'renders' if ok else 'FAILS'} |", flush=True)
        print("\n| letter at the bounds | lay out and write (median of 3) |")
        print("|---|---:|")
        at_bounds = {
            "2,000 line breaks": "line\n" * (sanitize.MAX_ELEMENTS - 1),
            "2,000 emphasised words": "<em>word</em> " * (sanitize.MAX_ELEMENTS - 1),
            "20,000 characters of paragraphs": ("I refuse to serve. " * 60 + "\n\n") * 17,
            f"depth {sanitize.MAX_DEPTH}, every allowed tag": "<ul><li><blockquote><ol><li>" * 4 + "<em><b><i><strong>" * 4 + "x",
        }
        for name, text in at_bounds.items():
            html = sanitize.text_to_html(text)
            print(f"| {name} | {_seconds(lambda: write_tagged(letters_document([_letter(html)]))):.2f} s |")
        warm = _seconds(lambda: write_tagged(letters_document([_letter(sanitize.text_to_html(TEXTS["he"]))])))
        print(f"\nreview page's trial render, a letter of a page: first in a process {first:.2f} s, warm {warm:.2f} s")
        text = ("אני מסרב לשרת במילואים. זו החלטה שקיבלתי אחרי מחשבה ארוכה, ואני כותב אותה בשמי המלא. " * 40).encode()[:5120].decode(errors="ignore")
        samples = []
        for _ in range(300):
            started = time.perf_counter()
            sanitize.text_to_html(sanitize.clean_text(text))
            samples.append(time.perf_counter() - started)
        print(f"sanitizing a 5 KB letter: median {statistics.median(samples) * 1e6:.0f} us")


if __name__ == "__main__":
    main()
