"""PDFs of published letters: rendered by WeasyPrint with a locked fetcher, cached by fingerprint."""

import fcntl
import functools
import hashlib
import io
import json
import logging
import multiprocessing
import os
import resource
import signal
import tempfile
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app, render_template
from flask_babel import force_locale, gettext
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject
from fontTools.ttLib import woff2
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from . import chart, letters
from .i18n import LANGUAGE_NAMES
from .models import Language, Letter, utcnow

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
        if path.suffix == ".woff2":
            return URLFetcherResponse(url, _decoded_font(path), {"Content-Type": "font/ttf"}, 200)
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": MIME_TYPES[path.suffix]}, 200)


@functools.cache
def _decoded_font(path: Path) -> bytes:
    """A woff2 font decompressed once per process: WeasyPrint would otherwise decode every font
    again for every document (about half a second a render)."""
    out = io.BytesIO()
    with open(path, "rb") as source:
        woff2.decompress(source, out)
    return out.getvalue()


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


# --- compilations ------------------------------------------------------------------------------

# Chunks end after a letter whose id hashes to 0 modulo this (about 32 letters a chunk), or at 64.
CHUNK_BOUNDARY = 32
CHUNK_MAX = 64
TOC_LINK = "https://toc.refusers.invalid/"


@dataclass(frozen=True)
class Selection:
    """Which published letters a compilation holds."""

    language: str | None = None
    since: date | None = None  # first day included, in DISPLAY_TIMEZONE
    until: date | None = None  # last day included

    @property
    def name(self) -> str:
        parts = [self.language or "all"]
        if self.since or self.until:
            parts.append(f"{self.since or 'start'}_{self.until or 'now'}")
        return "-".join(str(p) for p in parts)

    def letters(self) -> list[Letter]:
        zone = ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])
        start = datetime.combine(self.since, time.min, zone) if self.since else None
        end = datetime.combine(self.until + timedelta(days=1), time.min, zone) if self.until else None
        return letters.compilation_letters(language=self.language, since=start, until=end)


STANDARD = [Selection(), *(Selection(language=code) for code in ("he", "ar", "en"))]


def chunks(selected: list[Letter]) -> list[list[Letter]]:
    """Content-defined chunks: a boundary depends only on the letter at it, so adding, withdrawing
    or correcting one letter changes one chunk and leaves the others (and their cached PDFs) alone."""
    result: list[list[Letter]] = [[]]
    for letter in selected:
        result[-1].append(letter)
        digest = int.from_bytes(hashlib.sha256(letter.public_id.encode()).digest()[:4], "big")
        if digest % CHUNK_BOUNDARY == 0 or len(result[-1]) >= CHUNK_MAX:
            result.append([])
    return [chunk for chunk in result if chunk]


@dataclass
class Part:
    path: Path
    starts: dict[str, int]  # public id -> first page within the part (0-based)
    pages: int


def _render(template: str, language: str, font_config: FontConfiguration | None = None, *, extra_css: str | None = None, **context):
    with force_locale(language):
        html = render_template(template, pdf_static=PDF_STATIC, page_lang=language, page_dir=Language(language).direction, **context)
    fetcher = StaticOnlyFetcher(current_app.static_folder)
    stylesheets = [CSS(string=extra_css, url_fetcher=fetcher, font_config=font_config)] if extra_css else None
    document = HTML(string=html, base_url=PDF_STATIC, url_fetcher=fetcher)
    return document.render(font_config=font_config, stylesheets=stylesheets)


def _part_path(chunk: list[Letter]) -> Path:
    fingerprint = hashlib.sha256("|".join(letter_fingerprint(letter) for letter in chunk).encode()).hexdigest()[:32]
    return cache_folder() / "parts" / f"{fingerprint}.pdf"


def part(chunk: list[Letter], font_config: FontConfiguration | None = None) -> Part:
    """A chunk's pages, rendered once per content and kept on disk, for covers in any language:
    each letter's page speaks the letter's own language, running header included."""
    path = _part_path(chunk)
    index = path.with_suffix(".json")
    if not (path.exists() and index.exists()):
        running = {}
        for code in LANGUAGE_NAMES:
            with force_locale(code):
                running[code] = gettext("Public refusers")
        document = _render("press/part_pdf.html", chunk[0].language, font_config, letters=chunk, running=running)
        starts = {label: target[0] for label, target, _children, _state in document.make_bookmark_tree()}
        write_atomically(path, document.write_pdf())
        write_atomically(index, json.dumps({"starts": starts, "pages": len(document.pages)}).encode())
    meta = json.loads(index.read_text())
    return Part(path, meta["starts"], meta["pages"])


# Below this many chunks to render, starting worker processes costs more than it saves.
PARALLEL_FROM = 4
_worker_app = None


def _render_parts_in_parallel(missing: list[list[Letter]]) -> None:
    """Render missing chunks on every core: a build from nothing is otherwise one core's work."""
    workers = min(current_app.config["PDF_BUILD_WORKERS"], len(missing))
    if workers < 2 or len(missing) < PARALLEL_FROM:
        return  # part() renders them in this process
    config = {key: value for key, value in current_app.config.items() if key.isupper()}
    config["INSTANCE_PATH"] = current_app.instance_path
    context = multiprocessing.get_context("spawn")
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker, initargs=(config,)) as pool:
            list(pool.map(_render_part_of, [[letter.id for letter in chunk] for chunk in missing]))
    except BrokenProcessPool:
        # A worker died (memory limit, killed): what is not rendered yet is rendered in this process.
        log.warning("PDF render workers failed; rendering the remaining chunks in one process")


def _start_worker(config: dict) -> None:
    global _worker_app
    from . import create_app

    _worker_app = create_app(config)


def _render_part_of(letter_ids: list[int]) -> None:
    from sqlalchemy import select

    from .extensions import db

    with _worker_app.app_context():
        found = {letter.id: letter for letter in db.session.execute(select(Letter).where(Letter.id.in_(letter_ids))).scalars()}
        part([found[i] for i in letter_ids], _worker_fonts())
        db.session.remove()


@functools.cache
def _worker_fonts() -> FontConfiguration:
    return FontConfiguration()


@dataclass(frozen=True)
class Compilation:
    path: Path
    fingerprint: str
    letters: int
    pages: int


def fingerprint(selection: Selection, selected: list[Letter], language: str) -> str:
    parts = [TEMPLATE_VERSION, current_app.config["BUILD_ID"], selection.name, language, *(letter_fingerprint(l) for l in selected)]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def compilation_path(selection: Selection, digest: str) -> Path:
    return cache_folder() / "compilations" / f"{selection.name}-{digest}.pdf"


def existing(selection: Selection, language: str, selected: list[Letter] | None = None) -> Compilation | None:
    """The compilation of what is published now (`selected`, if the caller read it), if built already."""
    selected = selection.letters() if selected is None else selected
    digest = fingerprint(selection, selected, language)
    path = compilation_path(selection, digest)
    return Compilation(path, digest, len(selected), 0) if path.exists() else None


def is_building(selection: Selection, language: str) -> bool:
    """Whether some process holds this compilation's build lock right now."""
    lock_path = cache_folder() / "locks" / f"{selection.name}-{language}.lock"
    if not lock_path.exists():
        return False
    with open(lock_path, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(lock, fcntl.LOCK_UN)
    return False


def build_in_background(selection: Selection, language: str) -> None:
    """Start a separate process that builds the compilation, with memory and time limits, so a
    large render can neither stall nor exhaust the web worker that asked for it."""
    multiprocessing.active_children()  # reap builders that finished
    config = {key: value for key, value in current_app.config.items() if key.isupper()}
    config["INSTANCE_PATH"] = current_app.instance_path
    process = multiprocessing.get_context("spawn").Process(
        target=_build_process, args=(config, selection, language), name=f"pdf-{selection.name}", daemon=False
    )
    process.start()


def _build_process(config: dict, selection: Selection, language: str) -> None:
    from . import create_app

    resource.setrlimit(resource.RLIMIT_AS, (config["PDF_BUILD_MEMORY_BYTES"],) * 2)
    signal.alarm(config["PDF_BUILD_SECONDS"])  # the default action ends the process
    app = create_app(config)
    with app.app_context():
        build(selection, language)


def build(selection: Selection, language: str) -> Compilation:
    """Build (or find) the compilation of what is published now. Concurrent builders build it once."""
    selected = selection.letters()
    digest = fingerprint(selection, selected, language)
    path = compilation_path(selection, digest)
    lock_path = cache_folder() / "locks" / f"{selection.name}-{language}.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second builder waits here, then finds the file
        if not path.exists():
            pages = _assemble(selection, selected, language, path)
            log.info("built %s: %d letters, %d pages", path.name, len(selected), pages)
    return Compilation(path, digest, len(selected), 0)


def _assemble(selection: Selection, selected: list[Letter], language: str, path: Path) -> int:
    # One font configuration for the whole build: fonts are loaded once, not once per render.
    fonts = FontConfiguration()
    grouped = chunks(selected)
    _render_parts_in_parallel([chunk for chunk in grouped if not _part_path(chunk).exists()])
    parts = [part(chunk, fonts) for chunk in grouped]
    offsets, position = [], 0
    for each in parts:
        offsets.append(position)
        position += each.pages
    body_starts = {pid: offsets[i] + start for i, each in enumerate(parts) for pid, start in each.starts.items()}

    # The contents' length decides where the letters start. Start from last build's length:
    # one more letter rarely adds a page to the contents, so one pass is the rule.
    memory = cache_folder() / "front-pages" / f"{selection.name}-{language}.txt"
    front_pages = int(memory.read_text()) if memory.exists() else 2
    for _attempt in range(3):
        front = _front(selection, selected, language, {pid: front_pages + p + 1 for pid, p in body_starts.items()}, fonts)
        if len(front.pages) == front_pages:
            break
        front_pages = len(front.pages)
    write_atomically(memory, str(front_pages).encode())

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(front.write_pdf())), import_outline=False)
    for each in parts:
        writer.append(str(each.path), import_outline=False)
    total = len(writer.pages)
    targets = [front_pages + body_starts[letter.public_id] for letter in selected]
    _link_contents(writer, front_pages, targets)
    for letter, target in zip(selected, targets, strict=True):
        title = letter.display_name + (f" · {letter.title}" if letter.title else "")
        writer.add_outline_item(title=title, page_number=target)
    _stamp_page_numbers(writer, total, fonts)
    with force_locale(language):
        title = _title(selection)
    writer.add_metadata({"/Title": title, "/Creator": "refusal_site", "/CreationDate": _pdf_date(utcnow())})
    writer._root_object[NameObject("/Lang")] = TextStringObject(language)
    writer._root_object[NameObject("/PageMode")] = NameObject("/UseOutlines")
    buffer = io.BytesIO()
    writer.write(buffer)
    write_atomically(path, buffer.getvalue())
    return total


def _title(selection: Selection) -> str:
    if selection.language:
        return gettext("Public refusers: letters in %(language)s", language=LANGUAGE_NAMES[selection.language])
    return gettext("Public refusers: letters")


def _front(selection: Selection, selected: list[Letter], language: str, pages: dict[str, int], fonts: FontConfiguration):
    with force_locale(language):
        points = chart.cumulative(_days(selected))
        drawing = chart.svg(points, title=gettext("Public refusers over time"), description="", width=560, height=200)
        subtitle = _subtitle(selection)
        title = _title(selection)
    entries = [
        {"display_name": l.display_name, "title": l.title, "language": l.language, "direction": l.direction, "page": pages[l.public_id]}
        for l in selected
    ]
    return _render(
        "press/front_pdf.html", language, fonts, title=title, subtitle=subtitle, letter_count=len(selected),
        compiled_at=utcnow(), chart=drawing, entries=entries, toc_link=TOC_LINK,
    )


def _subtitle(selection: Selection) -> str:
    if selection.since or selection.until:
        return gettext("Published from %(since)s to %(until)s", since=selection.since or "…", until=selection.until or "…")
    return gettext("Every published letter, oldest first")


def _days(selected: list[Letter]) -> list[tuple[date, int]]:
    zone = ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])
    days: dict[date, int] = {}
    for letter in selected:
        day = letter.published_at.astimezone(zone).date()
        days[day] = days.get(day, 0) + 1
    return sorted(days.items())


def _link_contents(writer: PdfWriter, front_pages: int, targets: list[int]) -> None:
    """Turn the contents' placeholder links into jumps to the page each letter starts on."""
    for page in writer.pages[:front_pages]:
        for reference in page.get("/Annots", []) or []:
            annotation = reference.get_object()
            uri = (annotation.get("/A") or {}).get("/URI", "")
            if isinstance(uri, str) and uri.startswith(TOC_LINK):
                target = writer.pages[targets[int(uri[len(TOC_LINK):])]]
                annotation[NameObject("/A")] = DictionaryObject(
                    {NameObject("/S"): NameObject("/GoTo"), NameObject("/D"): ArrayObject([target.indirect_reference, NameObject("/Fit")])}
                )


NUMBERS_BLOCK = 100


def _stamp_page_numbers(writer: PdfWriter, total: int, fonts: FontConfiguration) -> None:
    """Number every page but the cover, once the order is final (parts are rendered without numbers).

    The numbers come from overlays of NUMBERS_BLOCK pages each, rendered once and kept: a build
    only renders the blocks no earlier build needed."""
    blocks: dict[int, PdfReader] = {}
    for index, page in enumerate(writer.pages):
        if index == 0:
            continue
        block = index // NUMBERS_BLOCK
        if block not in blocks:
            blocks[block] = PdfReader(str(_numbers_block(block, fonts)))
        page.merge_page(blocks[block].pages[index % NUMBERS_BLOCK])


def _numbers_block(block: int, fonts: FontConfiguration) -> Path:
    path = cache_folder() / "numbers" / f"{TEMPLATE_VERSION}-{current_app.config['BUILD_ID']}-{block}.pdf"
    if not path.exists():
        # Page i of the whole document (0-based) is page i % NUMBERS_BLOCK of its block and shows i + 1;
        # the first page of a block shows the value its counter is reset to.
        start = f"@page :first {{ counter-reset: page {block * NUMBERS_BLOCK + 1} }}"
        document = _render("press/numbers_pdf.html", "en", fonts, extra_css=start, pages=NUMBERS_BLOCK)
        write_atomically(path, document.write_pdf())
    return path


def _pdf_date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("D:%Y%m%d%H%M%SZ")
