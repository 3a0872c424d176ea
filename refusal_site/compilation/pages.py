"""Letters' pages, rendered once and kept: a few letters a file (they share its font subsets, which
keeps files small), and for each letter where its pages are in which file."""

import hashlib
import json
from dataclasses import dataclass

from weasyprint.text.fonts import FontConfiguration

from . import cache, rendering
from .rendering import letter_markup, no_cycle_collection
from .selection import PrintedLetter

# Letters rendered into one file, at most: they share its font subsets, and a file's layout is what
# a build holds in memory at once.
RUN_LETTERS = 32


@dataclass(frozen=True)
class Placed:
    """Where a letter's pages are kept: `count` pages from page `first` (0-based) of `file`."""

    file: str
    first: int
    count: int
    letter: str = ""  # its public id (cleanup.forget finds its pages by it)


def placed(letter_fingerprint: str) -> Placed | None:
    """Where the letter's pages are kept, if they are (and the file is still there)."""
    try:
        where = Placed(**json.loads(cache.index_path(letter_fingerprint).read_text()))
    except FileNotFoundError:
        return None
    return where if cache.pages_path(where.file).exists() else None


def runs(missing: list[PrintedLetter]) -> list[list[PrintedLetter]]:
    """The letters to render, RUN_LETTERS a file."""
    return [missing[i : i + RUN_LETTERS] for i in range(0, len(missing), RUN_LETTERS)]


def render_run(run: list[PrintedLetter], font_config: FontConfiguration | None, markup=letter_markup) -> None:
    """Render letters into one file of pages, then note where each letter's pages are in it."""
    if all(placed(letter.fingerprint) for letter in run):
        return
    with no_cycle_collection():
        document = rendering.letters_document(run, font_config, markup)
        starts = {label: target[0] for label, target, _children, _state in document.make_bookmark_tree()}
        data, pages = rendering.write_tagged(document), len(document.pages)
        del document
    name = hashlib.sha256("|".join(letter.fingerprint for letter in run).encode()).hexdigest()[:32] + ".pdf"
    cache.write_atomically(cache.pages_path(name), data)
    firsts = [starts[letter.part_id] for letter in run] + [pages]
    for letter, first, following in zip(run, firsts, firsts[1:]):
        # Written after the file it points into, so an index entry never points at nothing.
        cache.write_atomically(cache.index_path(letter.fingerprint), json.dumps(
            {"file": name, "first": first, "count": following - first, "letter": letter.public_id}
        ).encode())
