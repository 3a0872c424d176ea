"""PDFs of published letters: rendered by WeasyPrint with a locked fetcher, cached by fingerprint."""

import hashlib
import logging
import os
import tempfile
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .models import Letter

log = logging.getLogger(__name__)

# The only origin a PDF may load from: a name that resolves nowhere, mapped to our static folder.
PDF_STATIC = "https://pdf.refusers.invalid/static/"
# Bumped whenever a PDF template or the PDF stylesheet changes what a PDF looks like.
TEMPLATE_VERSION = "1"
MIME_TYPES = {".css": "text/css", ".woff2": "font/woff2", ".ttf": "font/ttf"}


class StaticOnlyFetcher(URLFetcher):
    """Serve the PDF stylesheet and fonts by exact path; refuse and log every other URL.

    file:, http:, data: and anything else, including our own origin under another path, are refused:
    letter content never loads anything, and three recent WeasyPrint advisories were fetcher bypasses.
    """

    def __init__(self, static_folder: str) -> None:
        super().__init__(allowed_protocols=set(), allow_redirects=False, timeout=1)
        root = Path(static_folder)
        allowed = [root / "css" / "pdf.css", *sorted((root / "fonts").glob("*.woff2")), *sorted((root / "fonts" / "pdf").glob("*.ttf"))]
        self._files = {PDF_STATIC + str(path.relative_to(root)): path for path in allowed}

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        path = self._files.get(url)
        if path is None:
            log.warning("PDF render refused to fetch %s", url[:200])
            raise ValueError("refused by the PDF fetcher")
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": MIME_TYPES[path.suffix]}, 200)


def letter_fingerprint(letter: Letter) -> str:
    """What a letter's PDF depends on: its public content, its address, the template."""
    parts = (TEMPLATE_VERSION, current_app.config["BUILD_ID"], letter.public_id, letter.content_hash, letter.published_at.isoformat())
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def render_letter(letter: Letter) -> bytes:
    """One published letter as a PDF, in its own language and direction."""
    # The whole page speaks the letter's language: its dates, its running header.
    with force_locale(letter.language):
        html = render_template(
            "press/letter_pdf.html", letter=letter, pdf_static=PDF_STATIC, page_lang=letter.language, page_dir=letter.direction
        )
    document = HTML(string=html, base_url=PDF_STATIC, url_fetcher=StaticOnlyFetcher(current_app.static_folder))
    return document.write_pdf(pdf_variant="pdf/ua-1", uncompressed_pdf=False)


def cache_folder() -> Path:
    return Path(current_app.instance_path) / "pdf"


def letter_pdf(letter: Letter) -> tuple[Path, str]:
    """The cached PDF of a letter (rendered the first time it is asked for) and its fingerprint."""
    fingerprint = letter_fingerprint(letter)
    path = cache_folder() / "letters" / f"{fingerprint}.pdf"
    if not path.exists():
        write_atomically(path, render_letter(letter))
    return path, fingerprint


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: readers see all of it or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
