"""Page numbers, stamped into a compilation as it is assembled: at the foot of every letter's page,
and at the end of each entry of contents (which becomes a jump to its letter's first page).

Nothing is rendered per page: a number is drawn from the digits (two pages rendered once, showing
0 and 123456789 in the numbers' font), given the glyphs of the number. Letters' pages are then
rendered once and kept whatever page they fall on, and a withdrawal early in a compilation renders
no letter again."""

import functools
import io
from datetime import datetime
from pathlib import Path

import pikepdf
from flask import current_app
from flask_babel import force_locale, gettext
from fontTools.ttLib import TTFont

from ..models import Language
from . import cache, rendering, tagging
from .front import TOC_DIGIT, TOC_LINK, render_front

FOOTER = b"/Artifact <</Type /Pagination /Subtype /Footer>> BDC"
HEADER = b"/Artifact <</Type /Pagination /Subtype /Header>> BDC"
NUMBER_SIZE = 9  # points: the page numbers' size in pdf.css (.numbers pages)
CONTENTS_NUMBER_SIZE = 11  # points: the contents' page numbers (pdf.css: the page's font size, which .toc-row keeps)


def digits(language: str) -> tuple[Path, Path]:
    """The digits to stamp numbers with, where a page number goes at the foot of a page, and where it
    goes in an entry of contents in `language`'s direction: two pages each, one showing 0 there, one
    showing 123456789 in the same font (Numbers). Rendered with the first front matter, or here if
    none was."""
    paths = cache.digits_path(), cache.contents_digits_path(language)
    if not all(path.exists() for path in paths):
        render_front(language, None, [])
    cache.mark_used(*paths)
    return paths


@functools.cache
def _digit_advance(size: float) -> float:
    """How far apart, in points, the digits of a number stand at `size` points (the font's figures are tabular)."""
    font = TTFont(Path(current_app.static_folder) / "fonts" / "pdf" / "noto-sans-latin-400.ttf")
    advances = {font["hmtx"][font.getBestCmap()[ord(digit)]][0] for digit in "0123456789"}
    assert len(advances) == 1, "page numbers are laid out with tabular figures"
    return advances.pop() / font["head"].unitsPerEm * size


class Numbers:
    """Any number drawn as a set of digits' first page draws its 0 (in `out`): that page's drawing,
    whose one run of text is given all the number's glyphs (each digit's as the second page shows
    it). A number is then one run of text, which readers, search and copying take as one word; its
    digits stand apart by the font's own advances (tabular figures), starting where the first
    page's digit stands."""

    def __init__(self, out: pikepdf.Pdf, path: Path, prefix: str) -> None:
        self.resources: dict[str, dict[str, pikepdf.Object]] = {"/Font": {}, "/ExtGState": {}}
        with pikepdf.open(path) as digits:
            # Each digit's glyph, as the text shows it: 0 from the first page, 1 to 9 from the second.
            zero, others = (self._glyphs(page) for page in digits.pages)
            size = len(zero)
            if len(others) != 9 * size:
                raise ValueError(f"the second page of digits in {path.name} does not show 123456789 in glyphs of {size} bytes")
            self.glyphs = [zero, *(others[i : i + size] for i in range(0, len(others), size))]
            # How the digits were tagged there is left out: each number is marked where it is drawn.
            operations = _borrowed(out, digits, prefix, self.resources, f"the pages of digits in {path.name}")
        # The drawing before and after its one run of text, which each number replaces.
        (shown,) = [i for i, (_operands, operator) in enumerate(operations) if str(operator) in ("TJ", "Tj")]
        self.before = pikepdf.unparse_content_stream(operations[:shown])
        self.after = pikepdf.unparse_content_stream(operations[shown + 1 :])

    @staticmethod
    def _glyphs(page: pikepdf.Page) -> bytes:
        shown = [operands for operands, operator in pikepdf.parse_content_stream(page) if str(operator) in ("TJ", "Tj")]
        if len(shown) != 1:
            raise ValueError(f"a page of digits shows {len(shown)} runs of text, not one")
        (text,) = shown[0]
        return bytes(text) if isinstance(text, pikepdf.String) else b"".join(bytes(part) for part in text if isinstance(part, pikepdf.String))

    def add_to(self, page: pikepdf.Page) -> None:
        """Give `page` the font and graphics state the numbers are drawn with."""
        _add_resources(page, self.resources)

    def draw(self, shown: str, x: float, y: float, marked: bytes) -> bytes:
        """The drawing of the number `shown`, its first digit moved by (x, y) points from where the
        first page's digit stands (on a page given the resources: add_to), as the marked content
        that `marked` begins (a tagged element's or an artifact's)."""
        glyphs = b"".join(self.glyphs[int(digit)] for digit in shown).hex().encode()
        return b"%s q 1 0 0 1 %.3f %.3f cm %s\n[<%s>] TJ\n%s Q EMC" % (marked, x, y, self.before, glyphs, self.after)


def _borrowed(out: pikepdf.Pdf, source: pikepdf.Pdf, prefix: str, resources: dict[str, dict[str, pikepdf.Object]], what: str) -> list:
    """The drawing of `source`'s first page without its marks (the caller marks it where it is drawn),
    its fonts and graphics states copied into `out` under names of ours (`prefix`), into `resources`.
    Text and lines only: anything else drawn (an image, a shading) is refused."""
    page = source.pages[0]
    operations = []
    for operands, operator in pikepdf.parse_content_stream(page):
        if str(operator) in ("BDC", "BMC", "EMC"):
            continue
        kind = {"Tf": "/Font", "gs": "/ExtGState"}.get(str(operator))
        if kind is not None:  # the page's own font and graphics state, under names of ours
            name = pikepdf.Name(f"/{prefix}{str(operands[0])[1:]}")
            value = page.Resources[kind][operands[0]]
            resources[kind][str(name)] = out.copy_foreign(value if value.is_indirect else source.make_indirect(value))
            operands = [name, *operands[1:]]
        elif str(operator) in ("Do", "sh", "cs", "CS", "scn", "SCN", "BI"):
            raise ValueError(f"{what} draw more than text ({operator})")
        operations.append((operands, operator))
    return operations


def _add_resources(page: pikepdf.Page, resources: dict[str, dict[str, pikepdf.Object]]) -> None:
    if "/Resources" not in page.obj:
        page.obj.Resources = pikepdf.Dictionary()
    for kind, named in resources.items():
        if kind not in page.obj.Resources:
            page.obj.Resources[kind] = pikepdf.Dictionary()
        for name, value in named.items():
            page.obj.Resources[kind][name] = value


def _draw_over(out: pikepdf.Pdf, page: pikepdf.Page, drawing: list[bytes]) -> None:
    """Add drawings over a page's own, which is wrapped in q ... Q so they start from a clean state."""
    page.contents_add(pikepdf.Stream(out, b"q"), prepend=True)
    page.contents_add(pikepdf.Stream(out, b" ".join([b"Q", *drawing])))


def stamp_numbers(out: pikepdf.Pdf, front: int, digits: Path) -> None:
    """Print 1, 2, 3 ... at the foot of every letter page, from the digits, centred: pagination
    artifacts, which a screen reader skips (a viewer says the page's label instead).

    Nothing is rendered per page: each number is the digits' drawing given the number's glyphs."""
    numbers = Numbers(out, digits, "RefusalDigits")
    advance = _digit_advance(NUMBER_SIZE)
    for number, page in enumerate(out.pages[front:], start=1):
        shown = str(number)
        stamped = pikepdf.Page(page)
        numbers.add_to(stamped)
        _draw_over(out, stamped, [numbers.draw(shown, -(len(shown) - 1) / 2 * advance, 0.0, FOOTER)])


def stamp_embargo(out: pikepdf.Pdf, language: str, release_at: datetime) -> None:
    """Print a press preview's "Embargoed until …" at the top of every page, drawn from one render of
    the line in `language` (press/embargo_pdf.html): a header artifact, which a screen reader skips
    (the cover says it in its text), and which search and copying find on every page."""
    resources: dict[str, dict[str, pikepdf.Object]] = {"/Font": {}, "/ExtGState": {}}
    document = rendering.render("press/embargo_pdf.html", language, rendering.fonts(), embargo=release_at)
    with pikepdf.open(io.BytesIO(rendering.write_tagged(document))) as line:
        drawing = pikepdf.unparse_content_stream(_borrowed(out, line, "RefusalEmbargo", resources, "the embargo line"))
    for page in out.pages:
        stamped = pikepdf.Page(page)
        _add_resources(stamped, resources)
        _draw_over(out, stamped, [b"%s q %s Q EMC" % (HEADER, drawing)])


def _rect(annotation: pikepdf.Dictionary) -> tuple[float, float, float, float]:
    """An annotation's rectangle as (left, bottom, right, top), in points."""
    x0, y0, x1, y1 = (float(value) for value in annotation.Rect)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _entry(annotation: pikepdf.Dictionary, prefix: str) -> int | None:
    """The entry of contents (or digit) a placeholder link (`prefix` and its number) stands for, if it is one."""
    action = annotation.get("/A")
    uri = str(action.get("/URI", "")) if action is not None else ""
    return int(uri[len(prefix):]) if uri.startswith(prefix) else None


def _links(page: pikepdf.Page, prefix: str) -> dict[int, list[pikepdf.Dictionary]]:
    """The annotations of each placeholder link with `prefix` on a page, by its number. WeasyPrint makes
    more than one annotation for a link: one for the line (the link's own block) and one for each box
    within it, such as an entry's text, which may run past the line's end (it is clipped there)."""
    links: dict[int, list[pikepdf.Dictionary]] = {}
    for annotation in page.get("/Annots", ()):
        index = _entry(annotation, prefix)
        if index is not None:
            links.setdefault(index, []).append(annotation)
    return links


def number_contents(joined: tagging.Joined, front: int, starts: list[int], digits: Path, language: str, entries: list[str]) -> None:
    """Turn each entry of the contents (a link the width of the line, TOC_LINK) into a jump to the
    page its letter starts on, described as the entry and its page (`entries`: each letter's), and
    print that page's number in the room the entry leaves at its end, from the digits, where a
    number laid out there would stand: tagged at the end of the entry's link, read after its text."""
    out = joined.out
    numbers = Numbers(out, digits, "RefusalTocDigits")
    with pikepdf.open(digits) as sample:
        # The line in which the digit 0 stands in that room: the widest of its link's rectangles.
        digit_line = max(map(_rect, _links(sample.pages[0], TOC_DIGIT)[0]), key=lambda rect: rect[2] - rect[0])
    advance = _digit_advance(CONTENTS_NUMBER_SIZE)
    right_to_left = Language(language).direction == "rtl"  # the line ends at the left: numbers grow to the right
    for page in out.pages[1:front]:
        stamped = pikepdf.Page(page)
        drawing = []
        for index, annotations in _links(stamped, TOC_LINK).items():
            jump = pikepdf.Dictionary(S=pikepdf.Name.GoTo, D=pikepdf.Array([out.pages[starts[index]].obj, pikepdf.Name.Fit]))
            shown = str(starts[index] - front + 1)
            with force_locale(language):
                described = pikepdf.String(gettext("%(entry)s, page %(page)s", entry=entries[index], page=shown))
            for annotation in annotations:
                annotation.A = jump
                annotation.Contents = described
            # Entries and the digit's line run across the same page width, so a number stands where the
            # digit does, moved to the entry's line (its tallest rectangle: the line, not a text within it).
            line_annotation = max(annotations, key=lambda annotation: _rect(annotation)[3] - _rect(annotation)[1])
            line = _rect(line_annotation)
            x = 0.0 if right_to_left else -(len(shown) - 1) * advance
            mcid = joined.mark(stamped, joined.element_of(line_annotation))
            drawing.append(numbers.draw(shown, x, line[1] - digit_line[1], b"/Span <</MCID %d>> BDC" % mcid))
        if drawing:
            numbers.add_to(stamped)
            _draw_over(out, stamped, drawing)
