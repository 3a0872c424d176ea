"""The PDF cache on disk: where every kept file is (one function a kind), and writing them
atomically, so a reader finds all of a file or none of it.

Under the instance folder's pdf/: letters/ (one letter's PDF), cards/ (share previews), compilations/ (with beside each the
list of the letters it holds), pages/ (files of letters' pages, and pages/index/: where each
letter's pages are), covers/, contents/ (a page each), numbers/ (the digits page numbers are
stamped with), failures/ (failed builds and renders, remembered for a while) and locks/."""

import contextlib
import glob
import hashlib
import json
import os
import tempfile
from pathlib import Path

from flask import current_app

from ..models import Language, Letter, Translation
from .selection import TEMPLATE_VERSION, Selection, letter_fingerprint, translation_fingerprint


def folder() -> Path:
    return Path(current_app.instance_path) / "pdf"


def _versioned(*parts) -> str:
    """A file name for what `parts` describe, for the templates and the code deployed now."""
    key = json.dumps([TEMPLATE_VERSION, current_app.config["BUILD_ID"], *parts], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def letter_pdf_path(letter: Letter, translation: Translation | None = None) -> tuple[Path, str]:
    """Where a letter's PDF (in a public `translation`) is (or will be) kept, and its fingerprint (the ETag)."""
    if translation is None:
        fingerprint = letter_fingerprint(letter)
        return folder() / "letters" / f"{letter.public_id}-{fingerprint}.pdf", fingerprint
    fingerprint = translation_fingerprint(letter_fingerprint(letter), translation)
    return folder() / "letters" / f"{letter.public_id}-{translation.language}-{fingerprint}.pdf", fingerprint


def compilation_path(selection: Selection, digest: str) -> Path:
    return folder() / "compilations" / f"{selection.name}-{digest}.pdf"


def manifest_path(compilation: Path) -> Path:
    """Beside a compilation, the public ids of the letters it holds (cleanup.forget reads it)."""
    return compilation.with_suffix(".letters")


def is_range(path: Path) -> bool:
    """Whether a kept file is a compilation of a date range (Selection.name has the range after a dash)."""
    return path.parent.name == "compilations" and "_" in path.name


def is_embargo(path: Path) -> bool:
    """Whether a kept file is a press preview's compilation (Selection.name starts so): letters not public yet."""
    return path.parent.name == "compilations" and path.name.startswith("embargo-")


def pages_path(name: str) -> Path:
    """A file of letters' pages, rendered together."""
    return folder() / "pages" / name


def index_path(letter_fingerprint: str) -> Path:
    """Where the pages of the letter with this fingerprint are (a small JSON file)."""
    return folder() / "pages" / "index" / f"{letter_fingerprint}.json"


def cover_path(cover: dict) -> Path:
    return folder() / "covers" / f"{_versioned(cover)}.pdf"


def contents_path(language: str, number: int, rows: list[dict]) -> Path:
    return folder() / "contents" / f"{_versioned(language, number, rows)}.pdf"


def digits_path() -> Path:
    """The digits a page number at the foot of a page is stamped with."""
    return folder() / "numbers" / f"digits-{TEMPLATE_VERSION}-{current_app.config['BUILD_ID']}.pdf"


def contents_digits_path(language: str) -> Path:
    """The contents' digits: where a number stands in an entry depends on the page's direction."""
    direction = Language(language).direction
    return folder() / "numbers" / f"contents-digits-{direction}-{TEMPLATE_VERSION}-{current_app.config['BUILD_ID']}.pdf"


def render_failure_path(public_id: str, fingerprint: str) -> Path:
    return folder() / "failures" / f"render-{public_id}-{fingerprint}.json"


def build_failure_path(key: str) -> Path:
    return folder() / "failures" / key


def lock_path(key: str) -> Path:
    return folder() / "locks" / f"{key}.lock"


def slot_paths() -> list[Path]:
    return [folder() / "locks" / f"builder-{n}.slot" for n in range(current_app.config["PDF_MAX_BUILDS"])]


def service_path() -> Path:
    return folder() / "locks" / "builder-service.alive"


# Kinds of kept file that pruning deletes when no build used them for a while.
PRUNED = ("compilations", "letters", "covers", "contents", "pages", "pages/index", "numbers", "failures", "cards")


def card_path(name: str, fingerprint: str) -> Path:
    """A share preview (refusal_site/public/cards.py): `name` is letter-<public id> or site-<language>."""
    return folder() / "cards" / f"{name}-{fingerprint}.png"


def card_paths(name: str) -> list[Path]:
    """Every kept card of `name`, oldest first (one removed meanwhile by another worker counts as oldest)."""
    return sorted(folder().glob(f"cards/{glob.escape(name)}-*.png"), key=_modified)


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: readers see all of it or nothing."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


@contextlib.contextmanager
def atomic_path(path: Path):
    """A temporary path beside `path` to write to; renamed over `path` if the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


def check_writable() -> None:
    """OSError unless PDFs can be written to the cache folder now (say so before promising one)."""
    compilations = folder() / "compilations"
    compilations.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=compilations):
        pass


def mark_used(*paths: Path) -> None:
    """Note that kept files were used now: pruning keeps what is still in use."""
    for path in paths:
        with contextlib.suppress(OSError):
            os.utime(path)
