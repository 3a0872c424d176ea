"""Rendering our PDF templates with WeasyPrint: a fetcher that loads nothing but our stylesheet and
fonts, one font configuration a process, and a letter's pages (or what stands in for them).

WeasyPrint is used as it ships: nothing of it is patched."""

import contextlib
import functools
import gc
import logging
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale
from markupsafe import Markup
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from ..models import Language, Letter
from . import tagging, text_map
from .selection import PrintedLetter, printed

log = logging.getLogger(__name__)

# The only origin a PDF may load from: a name that resolves nowhere, mapped to our static folder.
PDF_STATIC = "https://pdf.refusers.invalid/static/"
MIME_TYPES = {".css": "text/css", ".ttf": "font/ttf"}


class StaticOnlyFetcher(URLFetcher):
    """Serve the PDF stylesheets and fonts by exact path; refuse and log every other URL.

    file:, http:, data: and anything else, including our own origin under another path, are refused:
    letter content never loads anything, and three recent WeasyPrint advisories were fetcher bypasses.
    """

    def __init__(self, static_folder: str) -> None:
        super().__init__(allowed_protocols=set(), allow_redirects=False, timeout=1)
        root = Path(static_folder)
        allowed = [root / "css" / "pdf.css", root / "css" / "card.css", *sorted((root / "fonts" / "pdf").glob("*.ttf"))]
        self._files = {PDF_STATIC + str(path.relative_to(root)): path for path in allowed}

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        path = self._files.get(url)
        if path is None:
            log.warning("PDF render refused to fetch %s", url[:200])
            raise ValueError("refused by the PDF fetcher")
        return URLFetcherResponse(url, _static_file(path), {"Content-Type": MIME_TYPES[path.suffix]}, 200)


@functools.cache
def _static_file(path: Path) -> bytes:
    """Our fonts and stylesheet, read once per process (they change only with a deploy)."""
    return path.read_bytes()


@functools.cache
def _pool() -> tuple[FontConfiguration, CSS]:
    """One font configuration per process, and pdf.css parsed once with it (its @font-face rules
    registered there): each render that uses them loads no font and parses no stylesheet again."""
    fonts = FontConfiguration()
    stylesheet = CSS(url=PDF_STATIC + "css/pdf.css", url_fetcher=StaticOnlyFetcher(current_app.static_folder), font_config=fonts)
    return fonts, stylesheet


def fonts() -> FontConfiguration:
    """The process's font configuration, for renders that share it (see render)."""
    return _pool()[0]


def render(template: str, language: str, font_config: FontConfiguration | None = None, *, extra_css: str | None = None, **context):
    """Lay out one of our PDF templates with the locked fetcher (a WeasyPrint Document)."""
    parsed = _pool()[1] if font_config is not None and font_config is _pool()[0] else None
    with force_locale(language):
        html = render_template(template, pdf_static=PDF_STATIC, page_lang=language, page_dir=Language(language).direction,
                               link_stylesheet=parsed is None, **context)
    fetcher = StaticOnlyFetcher(current_app.static_folder)
    stylesheets = ([parsed] if parsed else []) + ([CSS(string=extra_css, url_fetcher=fetcher, font_config=font_config)] if extra_css else [])
    return HTML(string=html, base_url=PDF_STATIC, url_fetcher=fetcher).render(font_config=font_config, stylesheets=stylesheets)


@contextlib.contextmanager
def no_cycle_collection():
    """Pause Python's cycle collector during a render. A layout makes millions of objects that all
    stay alive until it ends, and each full collection would walk them all again, more often the
    larger the document. What the render leaves behind is collected right after: everything made
    while the collector was paused is still in its youngest generation, so collecting that one
    finds it all without walking the process's fonts, templates and modules again."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect(0)


def letter_markup(letter: PrintedLetter) -> Markup:
    """One letter's section, in its own language: its date, its running header, its signers' heading."""
    with force_locale(letter.language):
        return Markup(render_template("press/_letter_pdf.html", letter=letter))


def stand_in_markup(letter: PrintedLetter) -> Markup:
    """What a compilation shows in place of a letter whose pages could not be rendered: who wrote it,
    when, and where to read it (a note in the letter's language, as its own pages would be)."""
    with force_locale(letter.language):
        return Markup(render_template("press/_stand_in_pdf.html", letter=letter))


def letters_document(selected: list[PrintedLetter], font_config: FontConfiguration | None = None, markup=letter_markup):
    """The letters' pages as one WeasyPrint Document, each letter from a new page."""
    sections = [markup(letter) for letter in selected]
    return render("press/letters_pdf.html", selected[0].language, font_config, sections=sections)


def letter_pdf(shown: PrintedLetter, original: PrintedLetter | None = None) -> bytes:
    """One letter (with its signers) as a tagged PDF, in its own language and direction; or, with
    `original`, in a translation (`shown`, in its language), the original following from a new page."""
    sections = Markup("").join(letter_markup(part) for part in (shown, original) if part is not None)
    with force_locale(shown.language):
        html = render_template("press/letter_pdf.html", letter=shown, section=sections, pdf_static=PDF_STATIC,
                               page_lang=shown.language, page_dir=shown.direction)
    document = HTML(string=html, base_url=PDF_STATIC, url_fetcher=StaticOnlyFetcher(current_app.static_folder))
    with no_cycle_collection():
        return write_tagged(document, pdf_variant="pdf/ua-1", uncompressed_pdf=False)


def write_tagged(document, **options) -> bytes:
    """A WeasyPrint HTML or Document as a tagged PDF (PDF/UA-1 structure), its margins' content marked
    as artifacts, whose text copies back as it was written (text_map)."""
    return text_map.exact(tagging.tidy(document.write_pdf(**{**tagging.RENDER_OPTIONS, **options})))


def render_letter(letter: Letter) -> bytes:
    """A published letter's own PDF, rendered now (letter_pdfs keeps it)."""
    (shown,) = printed([letter])
    return letter_pdf(shown)
