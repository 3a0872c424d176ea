"""PDFs of published letters: rendered by WeasyPrint with a locked fetcher, cached by fingerprint.

A compilation is assembled (with pikepdf) from pages that are rendered once and kept: each letter's
pages, the contents a page at a time, and the cover. One more approval renders one letter, the
cover and the last page of the contents, however many letters came before, and the builder service
renders even those ahead, while the letter waits for a moderator (prepare), so that the approval's
build only assembles; a withdrawal renders no letter. The contents are numbered i, ii, ... and the
letters 1, 2, ... (the book convention, and the PDF's page labels say the same), so a longer
contents never moves a letter's page number. The
contents leave room for the letters' page numbers, which are stamped in as the pages are joined:
they are rendered beside the letters, not after them, and a letter that grows moves no entry.
"""

import contextlib
import dataclasses
import fcntl
import functools
import gc
import glob
import hashlib
import io
import json
import logging
import math
import multiprocessing
from multiprocessing import reduction
import os
import re
import resource
import signal
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from time import sleep
from zoneinfo import ZoneInfo

import pikepdf
from flask import current_app, render_template
from flask_babel import force_locale, format_number, get_translations, gettext, to_user_timezone
from markupsafe import Markup
from sqlalchemy import select
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from . import audit, chart, letters, signatures
from .audit import AuditAction
from .extensions import db
from .i18n import LANGUAGE_NAMES
from .models import Language, Letter, LetterStatus, Signature, SignatureStatus, utcnow
from .storage import write_transaction

log = logging.getLogger(__name__)


def _glyph_arrays_parsed_once() -> None:
    """Let WeasyPrint's font subsetting allocate its glyph lists without parsing C for each.

    WeasyPrint 70 asks cffi for `hb_codepoint_t[N]`, N the number of glyphs a font subset keeps,
    and cffi parses every new spelling as C source (pycparser, with each typedef WeasyPrint
    declares): about 2 ms each, and nearly every subset a process writes has a new N. The same
    array spelled `hb_codepoint_t[]` with the same items is parsed once per process; the C
    functions it goes to take its address and the count, as before."""
    from weasyprint.text.ffi import ffi

    fixed = re.compile(r"hb_codepoint_t\[(\d+)\]")
    allocate = ffi.new

    def new(cdecl, init=None):
        if isinstance(cdecl, str) and init is not None and (match := fixed.fullmatch(cdecl)) and len(init) == int(match[1]):
            return allocate("hb_codepoint_t[]", init)
        return allocate(cdecl, init)

    ffi.new = new


_glyph_arrays_parsed_once()

# The only origin a PDF may load from: a name that resolves nowhere, mapped to our static folder.
PDF_STATIC = "https://pdf.refusers.invalid/static/"
# Bumped whenever a PDF template or the PDF stylesheet changes what a PDF looks like.
TEMPLATE_VERSION = "6"
MIME_TYPES = {".css": "text/css", ".ttf": "font/ttf"}


class StaticOnlyFetcher(URLFetcher):
    """Serve the PDF stylesheet and fonts by exact path; refuse and log every other URL.

    file:, http:, data: and anything else, including our own origin under another path, are refused:
    letter content never loads anything, and three recent WeasyPrint advisories were fetcher bypasses.
    """

    def __init__(self, static_folder: str) -> None:
        super().__init__(allowed_protocols=set(), allow_redirects=False, timeout=1)
        root = Path(static_folder)
        allowed = [root / "css" / "pdf.css", *sorted((root / "fonts" / "pdf").glob("*.ttf"))]
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


# --- what a PDF shows of a letter ----------------------------------------------------------------


@dataclass(frozen=True)
class Signer:
    display_name: str
    descriptor: str | None


@dataclass(frozen=True)
class PrintedLetter:
    """A published letter as PDFs show it: public fields only, so no contact address can reach a PDF,
    and plain data, so worker processes can render it without the database."""

    public_id: str
    display_name: str
    descriptor: str | None
    title: str | None
    language: str
    body_html: str  # sanitized when the letter was stored (sanitize.py): the only markup a PDF takes
    published_at: datetime
    collective: bool
    signers: tuple[Signer, ...]
    fingerprint: str

    @property
    def direction(self) -> str:
        return Language(self.language).direction


def letter_fingerprint(letter: Letter, published_at: datetime | None = None) -> str:
    """What a letter's pages depend on: its public content and signers, its address, the day they say
    it was published (`published_at`, for a letter that is not yet), the templates. The day, not the
    moment: pages rendered while the letter waited for a moderator are those of its approval that day.
    The HTML too, not only the text's hash: re-sanitizing a stored letter changes its HTML alone."""
    parts = (
        TEMPLATE_VERSION, current_app.config["BUILD_ID"], letter.public_id, letter.content_hash, _html_digest(letter.body_html),
        to_user_timezone(published_at or letter.published_at).date().isoformat(), str(letter.signers_version if letter.collective else 0),
    )
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def printed(selected: list[Letter], moments: dict[int, datetime] | None = None) -> list[PrintedLetter]:
    """The letters as PDFs show them, with the published signers of collective ones (one query).
    `moments`: for letters not published yet, by id, the moment they would be (see prepare)."""
    moments = moments or {}
    signed = signatures.published_signers([letter.id for letter in selected if letter.collective])
    shown = []
    for letter in selected:
        published_at = moments.get(letter.id) or letter.published_at
        shown.append(PrintedLetter(
            public_id=letter.public_id, display_name=letter.display_name, descriptor=letter.descriptor,
            title=letter.title, language=letter.language, body_html=letter.body_html, published_at=published_at,
            collective=letter.collective,
            signers=tuple(Signer(s.display_name, s.descriptor) for s in signed.get(letter.id, ())),
            fingerprint=letter_fingerprint(letter, published_at),
        ))
    return shown


def _letter_markup(letter: PrintedLetter) -> Markup:
    """One letter's section, in its own language: its date, its running header, its signers' heading."""
    with force_locale(letter.language):
        return Markup(render_template("press/_letter_pdf.html", letter=letter))


def _render(template: str, language: str, fonts: FontConfiguration | None = None, *, extra_css: str | None = None, **context):
    """Lay out one of our PDF templates with the locked fetcher (a WeasyPrint Document)."""
    # With the process's pooled fonts, pdf.css is already parsed (a tenth of a small render's time).
    parsed = _pool()[1] if fonts is not None and fonts is _pool()[0] else None
    with force_locale(language):
        html = render_template(template, pdf_static=PDF_STATIC, page_lang=language, page_dir=Language(language).direction,
                               link_stylesheet=parsed is None, **context)
    fetcher = StaticOnlyFetcher(current_app.static_folder)
    stylesheets = ([parsed] if parsed else []) + ([CSS(string=extra_css, url_fetcher=fetcher, font_config=fonts)] if extra_css else [])
    return HTML(string=html, base_url=PDF_STATIC, url_fetcher=fetcher).render(font_config=fonts, stylesheets=stylesheets)


def _stand_in_markup(letter: PrintedLetter) -> Markup:
    """What a compilation shows in place of a letter whose pages could not be rendered: who wrote it,
    when, and where to read it (a note in the letter's language, as its own pages would be)."""
    with force_locale(letter.language):
        return Markup(render_template("press/_stand_in_pdf.html", letter=letter))


def letters_document(selected: list[PrintedLetter], fonts: FontConfiguration | None = None, markup=_letter_markup):
    """The letters' pages as one WeasyPrint Document, each letter from a new page."""
    sections = [markup(letter) for letter in selected]
    return _render("press/letters_pdf.html", selected[0].language, fonts, sections=sections)


# --- one letter's PDF ------------------------------------------------------------------------------


def render_letter(letter: Letter) -> bytes:
    """One published letter (with its signers) as a tagged PDF, in its own language and direction."""
    (shown,) = printed([letter])
    return _render_letter_pdf(shown)


def _render_letter_pdf(shown: PrintedLetter) -> bytes:
    with force_locale(shown.language):
        html = render_template("press/letter_pdf.html", letter=shown, section=_letter_markup(shown), pdf_static=PDF_STATIC,
                               page_lang=shown.language, page_dir=shown.direction)
    document = HTML(string=html, base_url=PDF_STATIC, url_fetcher=StaticOnlyFetcher(current_app.static_folder))
    with _no_cycle_collection():
        return document.write_pdf(pdf_variant="pdf/ua-1", uncompressed_pdf=False)


@contextlib.contextmanager
def _no_cycle_collection():
    """Pause Python's cycle collector during a render. A layout makes millions of objects that all
    stay alive until it ends, and each full collection walks them all again: with it running, a
    letter with 5,000 co-signers took 4.2x the time of one with 1,250; without, 4.0x (and 15% less
    in all). What the render leaves behind is collected right after: everything made while the
    collector was paused is still in its youngest generation, so collecting that one finds it all
    without walking the process's fonts, templates and modules again (a full collection: 50 ms)."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect(0)


def cache_folder() -> Path:
    return Path(current_app.instance_path) / "pdf"


def letter_pdf_path(letter: Letter) -> tuple[Path, str]:
    """Where a letter's PDF is (or will be) cached, and its fingerprint (the ETag)."""
    fingerprint = letter_fingerprint(letter)
    return cache_folder() / "letters" / f"{letter.public_id}-{fingerprint}.pdf", fingerprint


def renders_inline(letter: Letter) -> bool:
    """Whether a request may render this letter's PDF itself: a long text or a long list of
    co-signers takes seconds, so that is left to a background build."""
    config = current_app.config
    signers = letter.signatures_published if letter.collective else 0
    return signers <= config["PDF_INLINE_SIGNERS"] and len(letter.body_text) <= config["PDF_INLINE_CHARS"]


class BeingRendered(Exception):
    """Another process renders this PDF right now."""


@contextlib.contextmanager
def _rendering_now(key: str):
    """The key's lock and a build slot, taken without waiting for either: a render in a web worker
    counts against PDF_MAX_BUILDS like any build, and a second request for the same PDF does not
    hold a worker while the first renders it (BeingRendered; Busy when every slot is taken)."""
    key_lock = _try_lock(_lock_path(key))
    if key_lock is None:
        raise BeingRendered(key)
    with key_lock:
        slot = _take_slot()
        if slot is None:
            raise Busy()
        with slot:
            yield


def letter_pdf(letter: Letter, *, now: bool = False) -> tuple[Path, str]:
    """The cached PDF of a letter (rendered the first time it is asked for) and its fingerprint.
    Concurrent callers render it once; with `now` (a request rendering it itself) nothing waits:
    see _rendering_now. Unprintable if its pages could not be rendered within the last
    PDF_UNPRINTABLE_SECONDS: a failed render is remembered, not tried again on every request."""
    path, fingerprint = letter_pdf_path(letter)
    if not path.exists():
        refuse_if_unprintable(letter.public_id, fingerprint)
        key = f"letter-{letter.public_id}"
        with _rendering_now(key) if now else _locked(key):
            if not path.exists():
                refuse_if_unprintable(letter.public_id, fingerprint)  # another request's render just failed
                (shown,) = printed([letter])
                try:
                    data = _render_letter_pdf(shown)
                except OSError:
                    raise  # out of time, or the disk: not the letter's doing
                except Exception as error:
                    _remember_failure(shown, error)
                    report_unprintable([letter])
                    raise Unprintable(letter.public_id, current_app.config["PDF_UNPRINTABLE_SECONDS"]) from error
                write_atomically(path, data)
                _forget_failures(letter.public_id)
    return path, fingerprint


# --- letters whose pages cannot be rendered ----------------------------------------------------------
# A letter stored before the sanitizer bounded its HTML (or one that trips WeasyPrint some other way)
# must not take the press down with it. A failed render is remembered in a file for
# PDF_UNPRINTABLE_SECONDS, by the letter's fingerprint: its PDF answers 503 meanwhile, compilations
# print a note in its place, and moderators are told (an audit row, a banner in the queue).


class Unprintable(Exception):
    """The letter's pages could not be rendered; asking again is no use for `retry_after` seconds."""

    def __init__(self, public_id: str, retry_after: int) -> None:
        super().__init__(f"the pages of letter {public_id} could not be rendered")
        self.public_id = public_id
        self.retry_after = retry_after


def _html_digest(html: str) -> str:
    return hashlib.sha256(html.encode()).hexdigest()[:16]


def _failure_path(public_id: str, fingerprint: str) -> Path:
    # In failures/ with the builds' marks: prune() deletes those nobody renewed for PDF_KEEP_DAYS.
    return cache_folder() / "failures" / f"render-{public_id}-{fingerprint}.json"


def _remember_failure(letter: PrintedLetter, error: BaseException) -> None:
    # Once per failure, not per request; a recursion's traceback is a thousand frames of one loop.
    log.error("the pages of letter %s could not be rendered (%s); remembered for %s s", letter.public_id, type(error).__name__,
              current_app.config["PDF_UNPRINTABLE_SECONDS"], exc_info=None if isinstance(error, RecursionError) else error)
    mark = {"public_id": letter.public_id, "fingerprint": letter.fingerprint, "html": _html_digest(letter.body_html),
            "error": type(error).__name__, "reported": False}
    write_atomically(_failure_path(letter.public_id, letter.fingerprint), json.dumps(mark).encode())


def _failure(public_id: str, fingerprint: str) -> dict | None:
    """The mark of a failed render of these pages, if one was made within PDF_UNPRINTABLE_SECONDS."""
    path = _failure_path(public_id, fingerprint)
    try:
        if utcnow().timestamp() - path.stat().st_mtime >= current_app.config["PDF_UNPRINTABLE_SECONDS"]:
            return None
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def refuse_if_unprintable(public_id: str, fingerprint: str) -> None:
    """Unprintable if these pages failed to render within PDF_UNPRINTABLE_SECONDS."""
    path = _failure_path(public_id, fingerprint)
    if _failure(public_id, fingerprint) is not None:
        left = current_app.config["PDF_UNPRINTABLE_SECONDS"] - (utcnow().timestamp() - path.stat().st_mtime)
        raise Unprintable(public_id, max(1, math.ceil(left)))


def _forget_failures(public_id: str) -> None:
    """A letter rendered: it is not unprintable any more, whichever of its versions failed before."""
    for path in (cache_folder() / "failures").glob(f"render-{public_id}-*.json"):
        path.unlink(missing_ok=True)


def _render_safely(run: list[PrintedLetter], fonts: FontConfiguration | None) -> None:
    """render_run(), but a letter that cannot be rendered is remembered and left out instead of failing
    the others: a failed run is rendered again a letter at a time. Letters that failed within
    PDF_UNPRINTABLE_SECONDS are not tried again. Touches no database (it runs in forks too)."""
    run = [letter for letter in run if _failure(letter.public_id, letter.fingerprint) is None]
    if not run:
        return
    try:
        render_run(run, fonts)
    except OSError:
        raise  # out of time, or the disk: not the letters' doing
    except Exception as error:
        if len(run) == 1:
            _remember_failure(run[0], error)
            return
        for letter in run:
            _render_safely([letter], fonts)
        return
    for letter in run:
        _forget_failures(letter.public_id)


def _stand_ins(unprintable: list[PrintedLetter], fonts: FontConfiguration | None) -> list["Placed | None"]:
    """Where the pages shown in place of each unprintable letter are (rendered if not kept yet)."""
    stand_ins = [dataclasses.replace(letter, body_html="", signers=(), fingerprint=f"{letter.fingerprint}-stand-in")
                 for letter in unprintable]  # fmt: skip
    render_run(stand_ins, fonts, markup=_stand_in_markup)
    return [_placed(letter.fingerprint) for letter in stand_ins]


def report_unprintable(selected: list[Letter]) -> None:
    """Put each unprintable letter among `selected` on the audit trail, once for each failed version
    (the mark remembers it was reported)."""
    fingerprints = {letter.id: letter_fingerprint(letter, letter.published_at or utcnow()) for letter in selected}
    marks = {letter.id: _failure(letter.public_id, fingerprints[letter.id]) for letter in selected}
    unreported = [letter for letter in selected if marks[letter.id] is not None and not marks[letter.id]["reported"]]
    if not unreported:
        return
    with write_transaction():
        for letter in unreported:
            mark = marks[letter.id]
            audit.record("system", AuditAction.LETTER_RENDER_FAILED, letter, fingerprint=mark["fingerprint"], error=mark["error"])
    for letter in unreported:
        mark = {**marks[letter.id], "reported": True}
        path = _failure_path(letter.public_id, mark["fingerprint"])
        # Rewritten with its own time, so that being reported does not lengthen how long it is remembered.
        stamp = path.stat().st_mtime
        write_atomically(path, json.dumps(mark).encode())
        os.utime(path, (stamp, stamp))


# The states in which a letter may be public, or is about to be: those moderators hear about.
_WATCHED = (LetterStatus.PENDING, LetterStatus.SCHEDULED, LetterStatus.PUBLISHED, LetterStatus.UNPUBLISHED)


def unprintable_letters() -> list[Letter]:
    """Letters whose present text failed to render (whenever that was, as long as its mark is kept),
    for the moderators' queue: oldest first. One query, for the letters that have a mark."""
    marks: dict[str, set[str]] = {}
    for path in (cache_folder() / "failures").glob("render-*.json"):
        try:
            mark = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        marks.setdefault(mark["public_id"], set()).add(mark["html"])
    if not marks:
        return []
    found = db.session.execute(
        select(Letter).where(Letter.public_id.in_(list(marks)), Letter.status.in_(_WATCHED)).order_by(Letter.id)
    ).scalars()
    return [letter for letter in found if _html_digest(letter.body_html) in marks[letter.public_id]]


def render_problem(letter: Letter) -> str | None:
    """Why the letter's pages cannot be rendered (the error's name), or None if they can: what its
    last render found, or else a render of it alone now, as if published now if it is not (a
    fraction of a second for a real letter, bench/markup.py; kept, so the build after its approval
    today renders nothing of it). A collective letter with too many signers to render in a request
    is not tried here: None."""
    moments = None if letter.published_at else {letter.id: utcnow()}
    (shown,) = printed([letter], moments)
    mark = _failure(shown.public_id, shown.fingerprint)
    if mark is None and _placed(shown.fingerprint) is None and renders_inline(letter):
        try:
            _render_safely([shown], None)
        except OSError:
            log.exception("could not try the pages of letter %s (the PDF cache?)", letter.public_id)
            return None  # the review page is still shown; the build will find out
        mark = _failure(shown.public_id, shown.fingerprint)
        if mark is not None:
            report_unprintable([letter])
    return mark["error"] if mark else None


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: readers see all of it or nothing."""
    with _atomic_path(path) as tmp:
        tmp.write_bytes(data)


class _atomic_path:
    """A temporary path beside `path` to write to; renamed over `path` if the block succeeds."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
        os.close(fd)
        self.tmp = Path(name)
        return self.tmp

    def __exit__(self, kind, error, traceback) -> None:
        if kind is None:
            os.replace(self.tmp, self.path)
        else:
            self.tmp.unlink(missing_ok=True)


def check_writable() -> None:
    """OSError unless PDFs can be written to the cache folder now (say so before promising one)."""
    folder = cache_folder() / "compilations"
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=folder):
        pass


# --- which letters a compilation holds ------------------------------------------------------------


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


def choose(language: str | None, since: date | None, until: date | None) -> tuple[Selection, list[Letter]]:
    """The compilation of the letters (of `language`) published from `since` to `until` (days in
    DISPLAY_TIMEZONE, both included; None: open), and those letters (none, when none was).

    Ranges that hold the same letters name one compilation, so any number of spellings of a range
    start one build and keep one file: the range is narrowed to its first and last letters' days,
    and left open at an end that no letter lies beyond. Days far outside the publications (year 1,
    year 9999) never reach a query."""
    span = letters.publication_span(language)
    if span is None or (since and since > _day(span[1])) or (until and until < _day(span[0])):
        return Selection(language, since, until), []
    since = since if since and since > _day(span[0]) else None
    until = until if until and until < _day(span[1]) else None
    selected = Selection(language, since, until).letters()
    if not selected:
        return Selection(language, since, until), []
    first, last = _day(selected[0].published_at), _day(selected[-1].published_at)
    return Selection(language, since and first, until and last), selected


@dataclass(frozen=True)
class Compilation:
    path: Path
    fingerprint: str
    letters: int


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
    return Compilation(path, digest, len(selected)) if path.exists() else None


# --- building once, in the background -------------------------------------------------------------


def job_key(selection: Selection, language: str) -> str:
    """The name a compilation's build goes by (its lock, its failure mark)."""
    return f"{selection.name}-{language}"


# The build locks this process holds already, by key: handed to it by the request that started it
# (build_in_background), so that its build does not wait for a lock it holds itself; and its slot,
# kept open with them until the process ends.
_held: dict[str, io.TextIOWrapper] = {}


def _lock_path(key: str) -> Path:
    return cache_folder() / "locks" / f"{key}.lock"


@contextlib.contextmanager
def _locked(key: str):
    """Hold the build lock of `key`: a second builder waits here, then finds the work done."""
    if key in _held:
        yield
        return
    path = _lock_path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _try_lock(path: Path) -> io.TextIOWrapper | None:
    """`path` opened and locked (closing the file lets go), or None if another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = open(path, "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        return None
    return lock


def is_building(key: str) -> bool:
    """Whether some process builds `key` right now, or a builder service on this machine keeps it
    built (it will build it in its next round)."""
    if key in _standard_keys() and _service_alive():
        return True
    if not _lock_path(key).exists():
        return False
    lock = _try_lock(_lock_path(key))
    if lock is None:
        return True
    lock.close()
    return False


def _slots() -> list[Path]:
    return [cache_folder() / "locks" / f"builder-{n}.slot" for n in range(current_app.config["PDF_MAX_BUILDS"])]


def _take_slot() -> io.TextIOWrapper | None:
    """One of the PDF_MAX_BUILDS slots, locked (the open file: closing it lets go), if one is free now."""
    return next((lock for slot in _slots() if (lock := _try_lock(slot)) is not None), None)


@contextlib.contextmanager
def _build_slot(wait: bool = True):
    """Hold one of the PDF_MAX_BUILDS slots while building, waiting for one if all are taken: many
    different date ranges asked at once must not start as many renders. With `wait=False`, the
    block gets False instead of waiting when none is free (and True when it holds one)."""
    while (lock := _take_slot()) is None and wait:
        sleep(0.5)
    with lock if lock is not None else contextlib.nullcontext():
        yield lock is not None


class Busy(Exception):
    """Every build slot of this machine is taken: no build can start now."""


def failed_recently(key: str, within: float) -> bool:
    """Whether the last background build of `key` failed less than `within` seconds ago."""
    try:
        return utcnow().timestamp() - (cache_folder() / "failures" / key).stat().st_mtime < within
    except OSError:
        return False


class _HandedLock:
    """A locked file handed to a spawned process, which then holds the lock: the system lets go of it
    when the last process that has the file open ends (multiprocessing passes the descriptor itself,
    as it does for sockets)."""

    def __init__(self, lock: io.TextIOWrapper) -> None:
        self.lock = lock

    def __reduce__(self):
        return _take_handed_lock, (reduction.DupFd(self.lock.fileno()),)


def _take_handed_lock(handed) -> io.TextIOWrapper:
    return open(handed.detach(), "w")


def build_in_background(key: str, *, selection: Selection | None = None, language: str | None = None,
                        letter: Letter | None = None) -> bool:
    """See that `key` is being built: unless some process builds it already (or the builder service
    keeps it built), start a separate process that builds the compilation (or one letter's PDF),
    with memory and time limits, so a large render can neither stall nor exhaust the web worker
    that asked for it. Return whether it started one; raise Busy, starting nothing, if
    PDF_MAX_BUILDS builds run already.

    The key's lock and a build slot are taken here, before the process starts, and handed to it:
    however many requests come at once, no more processes start than there are slots, and no two
    for one key."""
    if key in _standard_keys() and _service_alive():
        return False
    multiprocessing.active_children()  # reap builders that finished
    key_lock = _try_lock(_lock_path(key))
    if key_lock is None:
        return False  # being built
    with key_lock:
        slot = _take_slot()
        if slot is None:
            raise Busy()
        with slot:
            _spawn(key, ("letter", letter.public_id) if letter is not None else ("compilation", selection, language), key_lock, slot)
    # Closed here, the locks stay held by the builder, whose copies of the files close when it ends.
    return True


def _spawn(key: str, job: tuple, key_lock: io.TextIOWrapper, slot: io.TextIOWrapper) -> None:
    """Start the process that builds `job`, handing it the key's lock and the slot."""
    config = {name: value for name, value in current_app.config.items() if name.isupper()}
    config["INSTANCE_PATH"] = current_app.instance_path
    process = multiprocessing.get_context("spawn").Process(
        target=_build_process, args=(config, key, job, _HandedLock(key_lock), _HandedLock(slot)), name=f"pdf-{key}", daemon=False
    )
    process.start()


def _build_process(config: dict, key: str, job: tuple, key_lock: io.TextIOWrapper, slot: io.TextIOWrapper) -> None:
    """The spawned builder. It holds the key's lock and the slot it was handed until it is gone (the
    system lets go of them with its last open file), and once its build is written it ends at once:
    an interpreter's orderly exit takes seconds, during which the slot would be free to start another
    build beside it."""
    signal.signal(signal.SIGALRM, _out_of_time)
    signal.alarm(config["PDF_BUILD_SECONDS"])
    _limit_memory(config["PDF_BUILD_MEMORY_BYTES"])
    _held[key] = key_lock
    _held[f"{key} slot"] = slot
    try:
        from . import create_app

        app = create_app(config)
        with app.app_context():
            if job[0] == "letter":
                letter = letters.published_letter(job[1])
                if letter is not None:
                    letter_pdf(letter)
            else:
                build(job[1], job[2])
    except BaseException:
        log.exception("building the PDF %s failed", key)
        # Requests stop promising this PDF for a while instead of waiting for it forever.
        _mark_failed(key, Path(config["INSTANCE_PATH"]) / "pdf")
        raise
    logging.shutdown()
    os._exit(0)


def _out_of_time(_signal, _frame) -> None:
    raise TimeoutError("the PDF build ran out of time (PDF_BUILD_SECONDS)")


def build(selection: Selection, language: str) -> Compilation:
    """Build (or find) the compilation of what is published now. Concurrent builders build it once."""
    selected = selection.letters()
    digest = fingerprint(selection, selected, language)
    path = compilation_path(selection, digest)
    with _locked(job_key(selection, language)):
        if path.exists():
            os.utime(path)  # still current: prune() keeps it
        else:
            # Which letters it holds, written first: a compilation is never without its list.
            write_atomically(_manifest(path), "\n".join(letter.public_id for letter in selected).encode())
            pages = _build(selection, selected, language, path)
            log.info("built %s: %d letters, %d pages", path.name, len(selected), pages)
    return Compilation(path, digest, len(selected))


def _manifest(path: Path) -> Path:
    """Beside a compilation, the public ids of the letters it holds (forget() reads it)."""
    return path.with_suffix(".letters")


def standard_jobs() -> list[tuple[Selection, str]]:
    """Every standard compilation, in each language it is offered in: all letters in every site
    language, and each language's letters in that language."""
    languages = list(current_app.config["LANGUAGES"])
    return [(selection, language) for selection in STANDARD for language in ([selection.language] if selection.language else languages)]


def build_standard() -> list[tuple[Selection, str, Compilation]]:
    """Build (or find) every standard compilation."""
    return [(selection, language, build(selection, language)) for selection, language in standard_jobs()]


# Letters at the head of the moderators' queue whose publication prepare() renders ahead, and how
# many of an embargo's letters it renders in one file at most (it asks whether to go on between files).
PREPARE_LETTERS = 8
PREPARE_RUN = 8


def prepare(between: Callable[[], bool] = lambda: True) -> int:
    """Render ahead what publishing the next letters would add to the standard compilations, so that
    the build after their publication finds every part kept and only assembles them: each letter's
    own pages, the pages of contents that change, and the covers.

    The next letters are the first PREPARE_LETTERS of the moderators' queue, each as if approved
    now (a moderator reads a letter before approving it: the builder service has that time), and
    the letters of the next embargo, together at its time (a coordinated publication: many letters
    at once, when journalists are waiting for them). Nothing here is public: only a build of what is
    published assembles pages into a compilation, and pages of letters never published are pruned
    like any other. `between()` is asked before each file of letters and each compilation's parts;
    False stops (the published letters changed: a build is due, and what this would prepare is
    stale; or the service is stopping). Returns how many letters, covers and pages of contents it
    rendered."""
    head, embargo = letters.upcoming(PREPARE_LETTERS)
    now = utcnow()
    groups = [[(letter, now)] for letter in head] + ([[(letter, letter.scheduled_at) for letter in embargo]] if embargo else [])
    if not groups:
        return 0
    moments = {letter.id: at for group in groups for letter, at in group}
    rendered = 0
    # A letter of the queue is rendered alone: it may be published without the others, and the fonts
    # of a file of pages hold the characters of every letter in it. An embargo's letters are
    # published together: a few a file, so that a large one does not embed the fonts hundreds of times.
    for group in groups:
        missing = [shown for shown in printed([letter for letter, _ in group], moments) if _placed(shown.fingerprint) is None]
        for run in (missing[i : i + PREPARE_RUN] for i in range(0, len(missing), PREPARE_RUN)):
            if not between():
                return rendered
            _render_safely(run, _pool_fonts())
            rendered += len(run)
    published = Selection().letters()  # one query: each standard selection is all letters or a language's
    for selection, language in standard_jobs():
        if not between():
            break
        selected = [letter for letter in published if selection.language in (None, letter.language)]
        covers: dict[Path, dict] = {}
        todo: dict[Path, tuple[int, list[dict]]] = {}
        for group in groups:
            adding = [(letter, at) for letter, at in group if selection.language in (None, letter.language)]
            if not adding:
                continue
            cover = _cover(selection, selected, language, adding, on=_day(max(at for _, at in adding)))
            if not _cover_path(cover).exists():
                covers[_cover_path(cover)] = cover
            order = {letter.id: (at, letter.id) for letter, at in adding}
            after = sorted(selected + [letter for letter, _ in adding], key=lambda l: order.get(l.id) or (l.published_at, l.id))
            pages = _contents(after, language)
            for n in _not_kept(language, pages):
                todo[_contents_path(language, n, pages[n])] = (n, pages[n])
        if covers or todo:
            # One document for the compilation: a cover with every page of contents, then any other cover.
            first, *others = list(covers.values()) or [None]
            _render_front(language, _pool_fonts(), first, list(todo.values()), digits=True)
            for cover in others:
                _render_front(language, _pool_fonts(), cover, [], digits=False)
        rendered += len(covers) + len(todo)
    return rendered


# The builder service stands back for the web workers on the same machine (nice(2)): in a 30 s spike
# it took 9% of the CPU at 10 and 5% at 19, and the readers of / got 58 and 80 req/s (102 without it).
WATCH_NICENESS = 19


def warm_up() -> None:
    """Lay out and write, and throw away, a small compilation's parts in every script (a letter, a
    cover with its curve, a page of contents), assemble them, and make a build's queries. What a
    process pays once before its first build (the fonts, the stylesheet, WeasyPrint's and its
    libraries' setup of each kind of drawing) is then paid here, by the builder service as it
    starts, not by the first approval it builds."""
    fonts = _pool_fonts()
    now = utcnow()
    printed(Selection().letters()[-1:])  # the queries a build makes, compiled once
    sample = [
        PrintedLetter(public_id=f"warm-up-{code}", display_name=name, descriptor=name, title=name, language=code,
                      body_html=f"<p>{name} 1234567890</p>", published_at=now, collective=True,
                      signers=(Signer(name, name),), fingerprint=f"warm-up-{code}")
        for code, name in (("he", "דנה כהן"), ("ar", "دانة خوري"), ("en", "Dana Cohen"))
    ]  # fmt: skip
    with _no_cycle_collection():
        letters_document(sample, fonts).write_pdf()
        rows = [{"index": i, "text": letter.display_name, "note": "", "language": letter.language, "direction": letter.direction}
                for i, letter in enumerate(sample)]  # fmt: skip
        for language in current_app.config["LANGUAGES"]:
            with force_locale(language):
                points = chart.cumulative([(now.date() - timedelta(days=1), 1), (now.date(), 2)])
                cover = {"title": _title(Selection()), "subtitle": _subtitle(Selection()), "letters": 3, "refusers": 3,
                         "compiled": now.date(), "chart": chart.svg(points, title=gettext("Public refusers over time"), description="")}  # fmt: skip
            data = _render("press/front_pdf.html", language, fonts, cover=cover, contents=[{"rows": rows, "first": True}],
                           toc_link=TOC_LINK, digits=False).write_pdf()  # fmt: skip
    with pikepdf.open(io.BytesIO(data)) as front, pikepdf.new() as out:  # and the assembly's
        out.pages.extend(front.pages)
        out.save(io.BytesIO(), object_stream_mode=pikepdf.ObjectStreamMode.generate)


def _standard_keys() -> set[str]:
    return {job_key(selection, language) for selection, language in standard_jobs()}


# A builder service silent for this long is taken to be stuck: downloads build for themselves again.
HEARTBEAT_SECONDS = 60


def _service_path() -> Path:
    return cache_folder() / "locks" / "builder-service.alive"


class ServiceRunning(RuntimeError):
    """A builder service keeps this instance folder's compilations built already."""


@contextlib.contextmanager
def _service_presence():
    """Say, for as long as the block runs, that a builder service keeps the standard compilations of
    this instance folder built: an exclusive lock on its heartbeat file. The system lets go of the
    lock when the process ends, however it ends (killed outright by the out-of-memory killer, say), so
    downloads never wait for the next round of a service that is gone."""
    path = _service_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as presence:
        try:
            fcntl.flock(presence, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ServiceRunning(f"another builder service keeps the compilations in {cache_folder()} built") from None
        try:
            yield
        finally:
            path.unlink(missing_ok=True)


def _service_alive() -> bool:
    """Whether a builder service on this machine is running (it holds the heartbeat file's lock) and
    has said it is alive within HEARTBEAT_SECONDS (it is not stuck)."""
    path = _service_path()
    try:
        if utcnow().timestamp() - path.stat().st_mtime >= HEARTBEAT_SECONDS:
            return False
        with open(path, "rb") as presence:
            fcntl.flock(presence, fcntl.LOCK_SH | fcntl.LOCK_NB)  # taken: no service holds it
    except BlockingIOError:
        return True
    except FileNotFoundError:
        pass
    return False


def _service_heartbeat() -> None:
    path = _service_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()


def _mark_failed(key: str, folder: Path) -> None:
    """Note that the build of `key` just failed: requests stop promising it for a while."""
    failure = folder / "failures" / key
    failure.parent.mkdir(parents=True, exist_ok=True)
    failure.touch()


def become_builder_service() -> None:
    """Give this process what a builder service runs with: the memory limit of every background
    build, and a lower CPU priority than the web workers beside it."""
    _limit_memory(current_app.config["PDF_BUILD_MEMORY_BYTES"])
    os.nice(WATCH_NICENESS)


def keep_built(stop: threading.Event, report: Callable[[list[tuple[Selection, str, Compilation]]], None] = lambda _: None) -> None:
    """The builder service (`build-pdf --watch`): build the standard compilations again whenever what
    is public changes (a publication, withdrawal, correction or unpublishing), until `stop` is set.

    Journalists then find them ready instead of waiting for a build their download starts, and the
    builds run in one process that stays warm: fonts, stylesheet and WeasyPrint's own first-use
    setup are paid once, as it starts (warm_up), not by each build. Changes that come while a round
    is building are built together in the next round. Each build takes one of the machine's
    PDF_MAX_BUILDS slots and, in the main thread, has PDF_BUILD_SECONDS. While it says it is alive
    (a heartbeat file), downloads of a standard compilation it has not built yet start no build of
    their own (is_building). A failed round (the database down, a render out of time or memory) is
    logged, marks the compilation it was building as failed (as a download-started build does), and
    is tried again PDF_RETRY_AFTER_FAILURE seconds later; the service keeps running. One service an
    instance folder: a second one raises ServiceRunning."""
    timed = threading.current_thread() is threading.main_thread()  # alarms work in the main thread only
    with _service_presence():
        _keep_built(stop, report, timed)


def _keep_built(stop: threading.Event, report: Callable[[list[tuple[Selection, str, Compilation]]], None], timed: bool) -> None:
    try:
        warm_up()
    except Exception:
        log.exception("build-pdf --watch: warming up failed; the first build will be slower")
    finally:
        db.session.remove()  # the first round must not read the letters as they were while warming up
    seen, prepared, pruned, key = None, None, 0.0, None
    forgetting = Forgetting()
    while not stop.is_set():
        wait = current_app.config["PDF_WATCH_SECONDS"]
        try:
            _service_heartbeat()
            if removed := forgetting.sweep():
                log.info("build-pdf --watch: deleted %d cached files of letters no longer public", removed)
                seen = None  # what it deleted may have been built a moment ago, after the decision
            revision = letters.public_revision()
            if revision != seen:
                built = []
                for selection, language in standard_jobs():
                    key = job_key(selection, language)
                    with _build_slot(), _time_limit(current_app.config["PDF_BUILD_SECONDS"] if timed else None):
                        _service_heartbeat()
                        built.append((selection, language, build(selection, language)))
                    key = None
                report(built)
                seen = revision
            # The day too: what a letter approved tomorrow would show (its date, the cover's) is not today's.
            ahead = (revision, _day(utcnow()), letters.upcoming_key(PREPARE_LETTERS))
            if ahead != prepared and _prepare_in_service(revision, stop, timed):
                prepared = ahead
            if utcnow().timestamp() - pruned > 3600:
                prune(timedelta(days=current_app.config["PDF_KEEP_DAYS"]))
                pruned = utcnow().timestamp()
        except Exception:
            wait = current_app.config["PDF_RETRY_AFTER_FAILURE"]
            log.exception("build-pdf --watch: this round failed (at %s); trying again in %s s", key, wait)
            if key is not None:
                _mark_failed(key, cache_folder())
            key = None
        finally:
            db.session.remove()
        stop.wait(wait)


def _prepare_in_service(revision: int, stop: threading.Event, timed: bool) -> bool:
    """prepare(), as the builder service runs it between rounds: in a build slot if one is free (False:
    none was, try again later) and its time, stopping when the published letters change or the
    service is stopping. A failure is logged and left alone until the letters waiting change: it must
    not hold up the next build, which renders whatever it lacks."""

    def between() -> bool:
        _service_heartbeat()
        return not stop.is_set() and letters.public_revision() == revision

    try:
        with _build_slot(wait=False) as slot:
            if not slot:
                return False  # downloads' builds hold every slot: not now
            with _time_limit(current_app.config["PDF_BUILD_SECONDS"] if timed else None):
                rendered = prepare(between)
        if rendered:
            log.info("build-pdf --watch: prepared %d parts of the compilations after the next publications", rendered)
    except Exception:
        log.exception("build-pdf --watch: preparing the next publications failed; their builds will render what they need")
    finally:
        db.session.rollback()
    return True


@contextlib.contextmanager
def _time_limit(seconds: int | None):
    """Raise TimeoutError in the block after `seconds` (None: no limit)."""
    if seconds is None:
        yield
        return
    previous = signal.signal(signal.SIGALRM, _out_of_time)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _limit_memory(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def prune(older_than: timedelta, ranges_older_than: timedelta | None = None) -> int:
    """Delete cached PDFs and pages that no build has used for `older_than`, compilations of date
    ranges nobody asked for in `ranges_older_than` (PDF_RANGE_KEEP_HOURS), and build locks of keys
    nobody built in that time; return how many files went.

    Builds mark what they use, and downloads of a range mark its file, so a compilation that is
    still current, and the pages it is made of, stay; anything deleted by mistake is rendered again
    when next asked for."""
    now = utcnow().timestamp()
    cutoff = now - older_than.total_seconds()
    range_cutoff = now - (ranges_older_than or timedelta(hours=current_app.config["PDF_RANGE_KEEP_HOURS"])).total_seconds()
    removed = 0
    for folder in ("compilations", "letters", "covers", "contents", "pages", "pages/index", "numbers", "failures"):
        for path in (cache_folder() / folder).glob("*"):
            if path.suffix == ".letters":
                continue  # goes with its compilation, below
            if path.is_file() and path.stat().st_mtime < (max(cutoff, range_cutoff) if _is_range(path) else cutoff):
                path.unlink(missing_ok=True)
                removed += 1
    building = now - current_app.config["PDF_BUILD_SECONDS"]  # a build writes its list first, its PDF last
    for manifest in (cache_folder() / "compilations").glob("*.letters"):
        if not manifest.with_suffix(".pdf").exists() and manifest.stat().st_mtime < building:
            manifest.unlink(missing_ok=True)
    for path in (cache_folder() / "locks").glob("*.lock"):
        # Opening a lock file to take it truncates it: an old one is no build's. Deleted while held
        # here, so no builder holds it; one that opens it in between takes a lock of its own file
        # and at worst builds what another builds too (both write atomically).
        if path.stat().st_mtime < range_cutoff and (lock := _try_lock(path)) is not None:
            with lock:
                path.unlink(missing_ok=True)
            removed += 1
    return removed


def forget(public_id: str, *, compilations: bool = True, contents: bool = True) -> int:
    """Delete every cached file that shows a letter: its own PDFs, the files of pages that hold its
    pages (rendered ahead while it waited, or for a compilation; the other letters in them are
    rendered again when next needed), the `compilations` that hold it and every page of `contents`
    (they may name it; the next build renders those it needs). Covers show counts only and stay.
    For a letter that is not public any more (or never will be), or whose text, name or signers
    changed: a disk taken from the server must not show what went, nor a download of an older
    compilation. Returns how many files went."""
    folder = cache_folder()
    doomed = set(folder.glob(f"letters/{glob.escape(public_id)}-*.pdf"))
    for entry in folder.glob("pages/index/*.json"):
        with contextlib.suppress(OSError, ValueError, TypeError):
            placed = Placed(**json.loads(entry.read_text()))
            if placed.letter == public_id:
                doomed |= {entry, folder / "pages" / placed.file}
    for built in folder.glob("compilations/*.pdf") if compilations else ():
        try:
            holds = public_id in _manifest(built).read_text().split()
        except FileNotFoundError:
            holds = True  # no list: it may hold the letter
        if holds:
            doomed |= {built, _manifest(built)}
    if contents:
        doomed |= set(folder.glob("contents/*.pdf"))
    for path in doomed:
        path.unlink(missing_ok=True)
    return len(doomed)


class Forgetting:
    """The builder service's sweep: forget() what each letter withdrawn, unpublished, rejected or
    corrected, or left by a signer, showed before, in this machine's cache, whichever machine the
    decision came to. Each decision is acted on once; the
    sweep looks back a minute more than its last run, for clocks that differ between machines."""

    OVERLAP = timedelta(minutes=1)

    def __init__(self) -> None:
        # At start, what was taken away while no service ran (older files are pruned anyway).
        self.since = utcnow() - timedelta(days=current_app.config["PDF_KEEP_DAYS"])
        self.done: set[tuple[str, datetime]] = set()

    def sweep(self) -> int:
        now = utcnow()
        taken = [change for change in letters.taken_away(self.since - self.OVERLAP) if (change.public_id, change.at) not in self.done]
        removed = sum(forget(change.public_id, compilations=change.compilations, contents=change.contents) for change in taken)
        self.done = {(public_id, at) for public_id, at in self.done if at >= self.since - self.OVERLAP}
        self.done |= {(change.public_id, change.at) for change in taken}
        self.since = now
        return removed


def _is_range(path: Path) -> bool:
    """Whether a cached file is a compilation of a date range (Selection.name has the range after a dash)."""
    return path.parent.name == "compilations" and "_" in path.name


def mark_asked(built: Compilation) -> None:
    """Note that a compilation was downloaded now: prune() keeps a range's file while people ask for it."""
    with contextlib.suppress(OSError):
        os.utime(built.path)


# --- the pages a compilation is made of ------------------------------------------------------------

# Letters rendered into one file, at most: they share its font subsets, which keeps files small.
RUN_LETTERS = 32
# Fewer letters than this to render: one process does it (starting workers would cost more).
PARALLEL_FROM = 4
CONTENTS_ROWS = 36  # entries on a page of contents (each entry is one line)
CONTENTS_BLOCK = 16  # pages of contents rendered in one document by a worker, at most
# The contents' links, an entry's line (placeholders turned into jumps to its letter's first page when
# the compilation is assembled), and the line of each digit that page numbers are stamped with.
TOC_LINK = "https://toc.refusers.invalid/letter/"
TOC_DIGIT = "https://toc.refusers.invalid/digit/"
NUMBER_SIZE = 9  # points: the page numbers' size in pdf.css (.numbers pages)
CONTENTS_NUMBER_SIZE = 11  # points: the contents' page numbers (pdf.css: the page's font size, which .toc-row keeps)


@dataclass(frozen=True)
class Placed:
    """Where a letter's pages are kept: `count` pages from page `first` (0-based) of `file`."""

    file: str
    first: int
    count: int
    letter: str = ""  # its public id (forget() finds its pages by it)


def _index_path(letter_fingerprint: str) -> Path:
    return cache_folder() / "pages" / "index" / f"{letter_fingerprint}.json"


def _placed(letter_fingerprint: str) -> Placed | None:
    """Where the letter's pages are kept, if they are (and the file is still there)."""
    try:
        placed = Placed(**json.loads(_index_path(letter_fingerprint).read_text()))
    except FileNotFoundError:
        return None
    return placed if (cache_folder() / "pages" / placed.file).exists() else None


def render_run(run: list[PrintedLetter], fonts: FontConfiguration | None, markup=_letter_markup) -> None:
    """Render letters into one file of pages, then note where each letter's pages are in it."""
    if all(_placed(letter.fingerprint) for letter in run):
        return
    with _no_cycle_collection():
        document = letters_document(run, fonts, markup)
        starts = {label: target[0] for label, target, _children, _state in document.make_bookmark_tree()}
        data, pages = document.write_pdf(), len(document.pages)
        del document
    name = hashlib.sha256("|".join(letter.fingerprint for letter in run).encode()).hexdigest()[:32] + ".pdf"
    write_atomically(cache_folder() / "pages" / name, data)
    firsts = [starts[letter.public_id] for letter in run] + [pages]
    for letter, first, following in zip(run, firsts, firsts[1:]):
        # Written after the file it points into, so an index entry never points at nothing.
        write_atomically(_index_path(letter.fingerprint), json.dumps(
            {"file": name, "first": first, "count": following - first, "letter": letter.public_id}
        ).encode())


def _runs(missing: list[PrintedLetter], workers: int) -> list[list[PrintedLetter]]:
    """Consecutive runs of at most RUN_LETTERS letters, at least two a process if there are as many
    letters (each takes the next run as it is free: _on_every_core), each about as long to lay out as
    the others: runs of as many letters each, one with a long letter and one without, kept one
    worker busy long after the other had finished."""
    if not missing:
        return []
    count = max(math.ceil(len(missing) / RUN_LETTERS), min(2 * max(1, workers), len(missing)))
    weights = [_layout_weight(letter) for letter in missing]
    share = sum(weights) / count
    runs: list[list[PrintedLetter]] = []
    done, current = 0.0, None
    for letter, weight in zip(missing, weights):
        # A letter goes to the run its middle falls in.
        run = min(count - 1, int((done + weight / 2) / share))
        if run != current or len(runs[-1]) == RUN_LETTERS:
            runs.append([])
            current = run
        runs[-1].append(letter)
        done += weight
    return runs


def _layout_weight(letter: PrintedLetter) -> int:
    """About how long a letter takes to lay out, in characters: its text, its signers, and a page's worth."""
    return len(letter.body_html) + 60 * len(letter.signers) + 1500


def _on_every_core(tasks: list[Callable[[], None]], meanwhile: Callable[[], object] | None = None, *, workers: int):
    """Run `meanwhile` here and `tasks` on `workers` processes in all: this one and forks of it, each
    taking the next task no one has taken as it is free (this one once `meanwhile` is done); return
    what `meanwhile` returned.

    One process a core, this one included: a fork for every core beside this one (busy with the
    cover) was three processes on two cores, each slowed, and each fork copies the memory it
    touches (10 letters from nothing: 0.57 s of CPU that way, 0.52 s this way). The forks have this
    process's letters, templates and fonts loaded and touch no database. Each task must skip work
    already done: whatever a failed worker left is done here afterwards. A single task is forked
    only when there is work to do here meanwhile."""
    if workers < 2 or not tasks or (len(tasks) < 2 and meanwhile is None):
        result = meanwhile() if meanwhile else None
        for task in tasks:
            task()
        return result
    context = multiprocessing.get_context("fork")
    taken = context.Value("i", 0)  # how many tasks have been taken, shared by all (with its lock)
    processes = [context.Process(target=_fork_takes_tasks, args=(tasks, taken), daemon=True) for _ in range(min(workers - 1, len(tasks)))]
    # Frozen objects are left alone by the forks' garbage collector, so their memory stays shared
    # with this process instead of being copied page by page.
    gc.freeze()
    try:
        for process in processes:
            process.start()
    finally:
        gc.unfreeze()
    try:
        result = meanwhile() if meanwhile else None
        _take_tasks(tasks, taken)
        for process in processes:
            process.join()
    except BaseException:
        # Out of time (or memory) here: the workers must not go on rendering for nobody.
        for process in processes:
            if process.is_alive():
                process.kill()
            process.join()
        raise
    if any(process.exitcode != 0 for process in processes):
        log.warning("PDF render workers failed (exit codes %s); finishing their work in one process",
                    [process.exitcode for process in processes])
    for task in tasks:
        task()  # a no-op for everything the workers did
    return result


def _fork_takes_tasks(tasks: list[Callable[[], None]], taken) -> None:
    """A fork's life: the tasks, with the signals' default actions (a fork inherits the builder
    service's SIGTERM handler, which only asks a loop to stop: it would go on taking tasks)."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, signal.SIG_DFL)
    _take_tasks(tasks, taken)


def _take_tasks(tasks: list[Callable[[], None]], taken) -> None:
    """Do the next task no process has taken, until none is left."""
    while True:
        with taken.get_lock():
            index = taken.value
            taken.value += 1
        if index >= len(tasks):
            return
        tasks[index]()


def _pool_fonts() -> FontConfiguration:
    return _pool()[0]


@functools.cache
def _pool() -> tuple[FontConfiguration, CSS]:
    """One font configuration per process, with every PDF font loaded before workers are forked,
    so that the forks share it instead of each loading (and leaving behind) their own; and pdf.css
    parsed once with it (its @font-face rules registered there), for every render that uses it."""
    fonts = FontConfiguration()
    fetcher = StaticOnlyFetcher(current_app.static_folder)
    stylesheet = CSS(url=PDF_STATIC + "css/pdf.css", url_fetcher=fetcher, font_config=fonts)
    # Lay out a line in every face once: the first layout in a process sets up each face (about
    # 50 ms), and forks made afterwards inherit that instead of each paying it again.
    sample = "Aa Ăă אב اب 123"
    HTML(string=f"<p>{sample} <b>{sample}</b></p>", base_url=PDF_STATIC, url_fetcher=fetcher).render(font_config=fonts, stylesheets=[stylesheet])
    return fonts, stylesheet


def _build(selection: Selection, selected: list[Letter], language: str, path: Path) -> int:
    workers = current_app.config["PDF_BUILD_WORKERS"]
    fingerprints = [letter_fingerprint(letter) for letter in selected]
    placed = [_placed(fp) for fp in fingerprints]
    missing = printed([letter for letter, where in zip(selected, placed) if where is None])
    unprintable = [letter for letter in missing if _failure(letter.public_id, letter.fingerprint) is not None]
    missing = [letter for letter in missing if letter not in unprintable]
    runs = _runs(missing, workers if len(missing) >= PARALLEL_FROM else 1)
    # The contents leave room for page numbers, stamped in when the compilation is assembled, so they
    # need no letter's page count: the cover and the contents not kept yet are rendered here while
    # workers render the missing letters (and blocks of the contents, when many of its pages changed).
    pages = _contents(selected, language)
    here, elsewhere = _share(_not_kept(language, pages), workers)
    # The fonts are loaded only if something is rendered: after a prepared approval, nothing is.
    fonts = _pool_fonts() if runs or elsewhere else None
    tasks = [functools.partial(_render_safely, run, fonts) for run in runs]
    tasks += [functools.partial(_render_contents, language, pages, block, fonts) for block in elsewhere]
    front = _on_every_core(tasks, meanwhile=lambda: _front(selection, selected, language, pages, here), workers=workers)
    placed = [where or _placed(fp) for fp, where in zip(fingerprints, placed)]
    # A letter whose pages could not be rendered (now or lately) is left out: a note stands in its place.
    unprintable += [letter for letter in missing if _placed(letter.fingerprint) is None and letter not in unprintable]
    if unprintable:
        stand_ins = dict(zip((letter.fingerprint for letter in unprintable), _stand_ins(unprintable, fonts)))
        placed = [where or stand_ins[fp] for fp, where in zip(fingerprints, placed)]
    total = _assemble(selection, selected, language, front, placed, path)
    if unprintable:
        failed = {letter.public_id for letter in unprintable}
        report_unprintable([letter for letter in selected if letter.public_id in failed])
    return total


def _contents(selected: list[Letter], language: str) -> list[list[dict]]:
    """The contents' entries, a page's worth at a time (without their page numbers: see _number_contents)."""
    entries = [_contents_entry(i, letter, language) for i, letter in enumerate(selected)]
    return [entries[i : i + CONTENTS_ROWS] for i in range(0, len(entries), CONTENTS_ROWS)] or [[]]


# How much of a line of contents an entry may fill, in widths of an average letter: long entries are
# cut short before layout (WeasyPrint's ellipsis loses right-to-left text), so each stays one line.
CONTENTS_LINE = 64
WIDE = frozenset("MWmw@%")


def _contents_entry(index: int, letter: Letter, language: str) -> dict:
    note = ""
    if letter.collective and letter.signatures_published:
        with force_locale(language):
            count = letter.signatures_published
            # As the letter's page says it, number formatted (Flask-Babel's ngettext would not format it).
            phrase = get_translations().ungettext("Signed by %(num)s more person", "Signed by %(num)s more people", count)
            note = " · " + phrase % {"num": format_number(count)}
    text = letter.display_name + (f" · {letter.title}" if letter.title else "")
    return {"index": index, "text": _cut(text, CONTENTS_LINE - _width(note)), "note": note, "language": letter.language,
            "direction": letter.direction}


def _width(text: str) -> float:
    return sum(1.6 if char in WIDE else 1.3 if char.isupper() else 1.0 for char in text)


def _cut(text: str, room: float) -> str:
    """`text`, or as much of it as fits in `room` followed by an ellipsis."""
    if _width(text) <= room:
        return text
    used = 0.0
    for end, char in enumerate(text):
        used += _width(char)
        if used > room - 1:
            return text[:end].rstrip() + "…"
    return text


def _contents_path(language: str, number: int, rows: list[dict]) -> Path:
    key = json.dumps([TEMPLATE_VERSION, current_app.config["BUILD_ID"], language, number, rows], ensure_ascii=False)
    return cache_folder() / "contents" / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.pdf"


def _title(selection: Selection) -> str:
    if selection.language:
        return gettext("Public refusers: letters in %(language)s", language=LANGUAGE_NAMES[selection.language])
    return gettext("Public refusers: letters")


def _subtitle(selection: Selection) -> str:
    if selection.since or selection.until:
        return gettext("Published from %(since)s to %(until)s", since=selection.since or "…", until=selection.until or "…")
    return gettext("Every published letter, oldest first")


@dataclass(frozen=True)
class Front:
    """A compilation's cover and pages of contents, in order: each one's kept file and, if it was
    rendered for this build, its page in `document` (None: it is read from its file)."""

    document: bytes | None
    pages: list[tuple[Path, int | None]]


def _front(selection: Selection, selected: list[Letter], language: str, pages: list[list[dict]], todo: list[int]) -> Front:
    """Render whichever of the cover, the pages of contents numbered in `todo` and (the first time) the
    digits that page numbers are stamped with are not kept yet, in ONE document: each document costs a
    layout and a subsetting of its fonts however little it holds. Nothing at all when every part is
    kept (prepare() rendered them while the newest letter waited for a moderator): the build then
    only assembles, and never loads WeasyPrint's fonts."""
    cover = _cover(selection, selected, language)
    paths = [_cover_path(cover), *_contents_paths(language, pages)]
    have_digits = _digits_path().exists() and _toc_digits_path(language).exists()
    if paths[0].exists() and not todo and have_digits:
        return Front(None, [(path, None) for path in paths])
    cover_todo = None if paths[0].exists() else cover
    data, where = _render_front(language, _pool_fonts(), cover_todo, [(n, pages[n]) for n in todo], digits=True)
    return Front(data, [(path, where.get(path)) for path in paths])


def _cover(selection: Selection, selected: list[Letter], language: str, adding: Iterable[tuple[Letter, datetime]] = (),
           on: date | None = None) -> dict:
    """What a compilation's cover says, as plain data (the key its page is kept under): the letters
    `selected`, and those of `adding` as if published at the moment given with each, compiled on the
    day `on` (today). A day, not a moment, so that the cover of an approval to come can be rendered
    before it (the file's own creation date, in its metadata, is to the second)."""
    added = list(adding)
    everyone = selected + [letter for letter, _ in added]
    signed = _signature_days([letter.id for letter in everyone if letter.collective and letter.signatures_published])
    moments = [letter.published_at for letter in selected] + [at for _, at in added]
    with force_locale(language):
        title, subtitle = _title(selection), _subtitle(selection)
    return {
        "language": language, "title": title, "subtitle": subtitle, "letters": len(everyone),
        "refusers": len(everyone) + sum(letter.signatures_published for letter in everyone if letter.collective),
        "compiled": (on or _day(utcnow())).isoformat(), "days": [[day.isoformat(), count] for day, count in _per_day(moments + signed)],
    }


def _cover_path(cover: dict) -> Path:
    key = json.dumps([TEMPLATE_VERSION, current_app.config["BUILD_ID"], cover], ensure_ascii=False, sort_keys=True)
    return cache_folder() / "covers" / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.pdf"


def _contents_paths(language: str, pages: list[list[dict]]) -> list[Path]:
    return [_contents_path(language, n, rows) for n, rows in enumerate(pages)]


def _not_kept(language: str, pages: list[list[dict]]) -> list[int]:
    """The numbers of the pages of contents not kept yet."""
    return [n for n, path in enumerate(_contents_paths(language, pages)) if not path.exists()]


def _share(todo: list[int], workers: int) -> tuple[list[int], list[list[int]]]:
    """Pages of contents to render here (with the cover), and blocks of them for workers: a few are
    rendered here, many (a build from nothing, a withdrawal early on) by the workers, in blocks of
    consecutive pages, at least one a worker and at most CONTENTS_BLOCK pages each. Here stays light:
    beside workers rendering letters, a long document here would be a third render on two cores, and
    the largest in memory at once."""
    if workers < 2 or len(todo) < PARALLEL_FROM:
        return todo, []
    size = min(CONTENTS_BLOCK, math.ceil(len(todo) / workers))
    return [], [todo[i : i + size] for i in range(0, len(todo), size)]


def _render_contents(language: str, pages: list[list[dict]], block: list[int], fonts: FontConfiguration) -> None:
    """Render the pages of contents numbered in `block` that are not kept yet, in one document."""
    paths = _contents_paths(language, pages)
    todo = [(n, pages[n]) for n in block if not paths[n].exists()]
    if todo:
        _render_front(language, fonts, None, todo, digits=False)


def _render_front(language: str, fonts: FontConfiguration, cover: dict | None, todo: list[tuple[int, list[dict]]], *,
                  digits: bool) -> tuple[bytes, dict[Path, int]]:
    """One document: the cover (if given), the pages of contents in `todo` (each its number and its
    entries) and, if `digits`, the digits not kept yet; the cover, each page of contents and each set
    of digits kept in a file of its own. Returns the document and where in it each kept page is."""
    footer_digits, toc_digits = _digits_path(), _toc_digits_path(language)
    with_digits = digits and not footer_digits.exists()
    with_toc_digits = digits and not toc_digits.exists()
    first = 0 if cover is None else 1  # the first page of contents in the document (0-based)
    # The cover is page i and the contents' pages ii, iii, ...: each page rendered says its own number.
    numbering = [f"@page :nth({first + 1 + i}) {{ counter-reset: page {n + 2} }}" for i, (n, _rows) in enumerate(todo)]
    if with_digits:
        # The foot of the first page of digits says 0, of the second 123456789.
        numbering.append(f"@page :nth({first + len(todo) + 1}) {{ counter-reset: page 0 }}")
        numbering.append(f"@page :nth({first + len(todo) + 2}) {{ counter-reset: page 123456789 }}")
    shown = None
    if cover is not None:
        with force_locale(language):
            points = chart.cumulative([(date.fromisoformat(day), count) for day, count in cover["days"]])
            shown = {**cover, "compiled": date.fromisoformat(cover["compiled"]),
                     "chart": chart.svg(points, title=gettext("Public refusers over time"), description="", width=560, height=200)}
    document = _render("press/front_pdf.html", language, fonts, extra_css="\n".join(numbering), cover=shown,
                       contents=[{"rows": rows, "first": n == 0} for n, rows in todo], toc_link=TOC_LINK, toc_digit=TOC_DIGIT,
                       digits=with_digits, toc_digits=with_toc_digits)
    data = document.write_pdf()
    del document
    where = {}
    with pikepdf.open(io.BytesIO(data)) as front:
        expected = first + len(todo) + 2 * (with_digits + with_toc_digits)
        if len(front.pages) != expected:
            # Each part is kept by its place in the document: one that ran over a page would file the
            # pages after it under other parts' keys (prepare renders pages for different letters here).
            raise ValueError(f"front matter of {len(front.pages)} pages, not {expected}: a part ran over its page")
        if cover is not None:
            where[_cover_path(cover)] = 0
        for i, (n, rows) in enumerate(todo):
            where[_contents_path(language, n, rows)] = first + i
        for path, page in where.items():
            _keep_pages(front, [page], path)
        following = first + len(todo)
        for wanted, path in ((with_digits, footer_digits), (with_toc_digits, toc_digits)):
            if wanted:
                _keep_pages(front, range(following, following + 2), path)
                following += 2
    return data, where


def _keep_pages(source: pikepdf.Pdf, pages: Iterable[int], path: Path) -> None:
    """Write some pages of `source` to a file of their own (atomically), with only the fonts they use:
    WeasyPrint gives every page of a document the same resources, the cover's fonts included."""
    with pikepdf.new() as kept, _atomic_path(path) as tmp:
        kept.pages.extend(source.pages[index] for index in pages)
        for page in kept.pages:
            page.remove_unreferenced_resources()
        kept.save(tmp)


def _signature_days(letter_ids: list[int]) -> list[datetime]:
    if not letter_ids:
        return []
    query = select(Signature.published_at).where(Signature.letter_id.in_(letter_ids), Signature.status == SignatureStatus.PUBLISHED)
    return list(db.session.execute(query).scalars())


def _day(moment: datetime) -> date:
    """The day a moment falls on where the site's dates are shown (DISPLAY_TIMEZONE)."""
    return moment.astimezone(ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])).date()


def _per_day(moments: Iterable[datetime]) -> list[tuple[date, int]]:
    days: dict[date, int] = {}
    for moment in moments:
        day = _day(moment)
        days[day] = days.get(day, 0) + 1
    return sorted(days.items())


def _digits_path() -> Path:
    return cache_folder() / "numbers" / f"digits-{TEMPLATE_VERSION}-{current_app.config['BUILD_ID']}.pdf"


def _toc_digits_path(language: str) -> Path:
    """The contents' digits: where a number stands in an entry depends on the page's direction."""
    direction = Language(language).direction
    return cache_folder() / "numbers" / f"contents-digits-{direction}-{TEMPLATE_VERSION}-{current_app.config['BUILD_ID']}.pdf"


def _digits(language: str) -> tuple[Path, Path]:
    """The digits to stamp numbers with, where a page number goes at the foot of a page, and where it
    goes in an entry of contents in `language`'s direction: two pages each, one showing 0 there, one
    showing 123456789 in the same font (Numbers). Rendered with the first front matter (_front), or
    here if none was."""
    paths = _digits_path(), _toc_digits_path(language)
    if not all(path.exists() for path in paths):
        _render_front(language, _pool_fonts(), None, [], digits=True)
    for path in paths:
        os.utime(path)  # in use: prune() keeps them
    return paths


@functools.cache
def _digit_advance(size: float) -> float:
    """How far apart, in points, the digits of a number stand at `size` points (the font's figures are tabular)."""
    from fontTools.ttLib import TTFont

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
            operations = []
            for operands, operator in pikepdf.parse_content_stream(digits.pages[0]):
                kind = {"Tf": "/Font", "gs": "/ExtGState"}.get(str(operator))
                if kind is not None:  # the digits' own font and graphics state, under names of ours
                    name = pikepdf.Name(f"/{prefix}{str(operands[0])[1:]}")
                    value = digits.pages[0].Resources[kind][operands[0]]
                    self.resources[kind][str(name)] = out.copy_foreign(value if value.is_indirect else digits.make_indirect(value))
                    operands = [name, *operands[1:]]
                elif str(operator) in ("Do", "sh", "cs", "CS", "scn", "SCN", "BI"):
                    raise ValueError(f"the pages of digits in {path.name} draw more than text ({operator})")
                operations.append((operands, operator))
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
        if "/Resources" not in page.obj:
            page.obj.Resources = pikepdf.Dictionary()
        for kind, named in self.resources.items():
            if kind not in page.obj.Resources:
                page.obj.Resources[kind] = pikepdf.Dictionary()
            for name, value in named.items():
                page.obj.Resources[kind][name] = value

    def draw(self, shown: str, x: float, y: float) -> bytes:
        """The drawing of the number `shown`, its first digit moved by (x, y) points from where the
        first page's digit stands (on a page given the resources: add_to)."""
        glyphs = b"".join(self.glyphs[int(digit)] for digit in shown).hex().encode()
        return b"q 1 0 0 1 %.3f %.3f cm %s\n[<%s>] TJ\n%s Q" % (x, y, self.before, glyphs, self.after)


def _draw_over(out: pikepdf.Pdf, page: pikepdf.Page, drawing: list[bytes]) -> None:
    """Add drawings over a page's own, which is wrapped in q ... Q so they start from a clean state."""
    page.contents_add(pikepdf.Stream(out, b"q"), prepend=True)
    page.contents_add(pikepdf.Stream(out, b" ".join([b"Q", *drawing])))


def _stamp_numbers(out: pikepdf.Pdf, front: int, digits: Path) -> None:
    """Print 1, 2, 3 ... at the foot of every letter page, from the digits, centred.

    Nothing is rendered per page: each number is the digits' drawing given the number's glyphs."""
    numbers = Numbers(out, digits, "RefusalDigits")
    advance = _digit_advance(NUMBER_SIZE)
    for number, page in enumerate(out.pages[front:], start=1):
        shown = str(number)
        stamped = pikepdf.Page(page)
        numbers.add_to(stamped)
        _draw_over(out, stamped, [numbers.draw(shown, -(len(shown) - 1) / 2 * advance, 0.0)])


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


def _number_contents(out: pikepdf.Pdf, front: int, starts: list[int], digits: Path, language: str) -> None:
    """Turn each entry of the contents (a link the width of the line, TOC_LINK) into a jump to the
    page its letter starts on, and print that page's number in the room the entry leaves at its end,
    from the digits, where a number laid out there would stand."""
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
            for annotation in annotations:
                annotation.A = jump
            shown = str(starts[index] - front + 1)
            # Entries and the digit's line run across the same page width, so a number stands where the
            # digit does, moved to the entry's line (its tallest rectangle: the line, not a text within it).
            line = max(map(_rect, annotations), key=lambda rect: rect[3] - rect[1])
            x = 0.0 if right_to_left else -(len(shown) - 1) * advance
            drawing.append(numbers.draw(shown, x, line[1] - digit_line[1]))
        if drawing:
            numbers.add_to(stamped)
            _draw_over(out, stamped, drawing)


# --- assembly ---------------------------------------------------------------------------------------


def _assemble(selection: Selection, selected: list[Letter], language: str, front: Front, placed: list[Placed], path: Path) -> int:
    """Join cover, contents and letters' pages; number, link, bookmark and label them; write once."""
    opened: dict[Path, pikepdf.Pdf] = {}

    def source(file: Path) -> pikepdf.Pdf:
        if file not in opened:
            opened[file] = pikepdf.open(file)
        return opened[file]

    pages_folder = cache_folder() / "pages"
    # What this compilation is made of was in use today: prune() keeps it.
    for file in {*(file for file, _ in front.pages), *(pages_folder / where.file for where in placed)}:
        os.utime(file)
    rendered = pikepdf.open(io.BytesIO(front.document)) if front.document is not None else contextlib.nullcontext()
    with pikepdf.new() as out, rendered:
        for file, page in front.pages:
            # A page rendered for this build is taken from its document, sharing its fonts.
            out.pages.append(rendered.pages[page] if page is not None else source(file).pages[0])
        front_pages = len(out.pages)  # cover and contents: the letters are numbered from the next one
        starts = []
        for where in placed:
            starts.append(len(out.pages))
            kept = source(pages_folder / where.file).pages
            for index in range(where.first, where.first + where.count):
                out.pages.append(kept[index])
        footer_digits, toc_digits = _digits(language)
        _stamp_numbers(out, front_pages, footer_digits)
        _number_contents(out, front_pages, starts, toc_digits, language)
        with force_locale(language):
            title = _title(selection)
            contents_label = gettext("Contents")
        with out.open_outline() as outline:
            outline.root.append(pikepdf.OutlineItem(contents_label, 1))
            for letter, start in zip(selected, starts, strict=True):
                outline.root.append(pikepdf.OutlineItem(letter.display_name + (f" · {letter.title}" if letter.title else ""), start))
        # Viewers show the printed numbers: i, ii, ... for the cover and contents, 1, 2, ... for letters.
        out.Root.PageLabels = pikepdf.Dictionary(
            Nums=pikepdf.Array([0, pikepdf.Dictionary(S=pikepdf.Name.r), front_pages, pikepdf.Dictionary(S=pikepdf.Name.D)])
        )
        out.Root.Lang = pikepdf.String(language)
        out.Root.PageMode = pikepdf.Name.UseOutlines
        out.Root.ViewerPreferences = pikepdf.Dictionary(
            DisplayDocTitle=True, Direction=pikepdf.Name.R2L if Language(language).direction == "rtl" else pikepdf.Name.L2R
        )
        out.docinfo = out.make_indirect(pikepdf.Dictionary(
            Title=pikepdf.String(title), Creator=pikepdf.String("refusal_site"), CreationDate=pikepdf.String(_pdf_date(utcnow()))
        ))
        total = len(out.pages)
        with _atomic_path(path) as tmp:
            out.save(tmp, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    for pdf in opened.values():
        pdf.close()
    return total


def _pdf_date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("D:%Y%m%d%H%M%SZ")
