"""What a download of a PDF gets: the file if it is ready, else word that it is being built, that
the machine is busy, or that it cannot be had now. The press views ask here, once a download,
and only turn the answer into a response."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from flask import current_app

from .. import letters
from ..models import Letter, Translation, utcnow
from . import assembly, cache, limits, one_letter, service, unprintable, worker
from .selection import Selection, choose


@dataclass(frozen=True)
class Ready:
    path: Path
    fingerprint: str
    download_name: str


@dataclass(frozen=True)
class BeingBuilt:
    """A worker builds it (or the builder service will): ask again in a few seconds."""


@dataclass(frozen=True)
class Busy:
    """Every build slot of this machine is taken: ask again in a minute."""


@dataclass(frozen=True)
class Unavailable:
    """It cannot be had now: its last build failed, the cache cannot be written, or the letter's pages
    cannot be rendered (`unprintable`; ask again in `retry_after` seconds)."""

    unprintable: bool = False
    retry_after: int | None = None


@dataclass(frozen=True)
class NoLetters:
    """No letter was published in the days asked for."""


@dataclass(frozen=True)
class TooManyLetters:
    """The days asked for hold more letters than one download of a range may (PDF_MAX_LETTERS)."""


@dataclass(frozen=True)
class TooManyRanges:
    """The visitor started as many builds of date ranges as PDF_RANGE_RATE_LIMIT allows."""


Answer = Ready | BeingBuilt | Busy | Unavailable | NoLetters | TooManyLetters | TooManyRanges
# Whether the visitor may start another build of a date range, counting one if called with True.
RangeBudget = Callable[[bool], bool]

log = logging.getLogger(__name__)


def letter_pdf(letter: Letter, translation: Translation | None = None) -> Answer:
    """A published letter's own PDF (in a public `translation`, the original following): rendered by
    the request itself when that is quick, else by a worker."""
    path, fingerprint = cache.letter_pdf_path(letter, translation)
    if not path.exists():
        try:
            if not limits.renders_inline(letter):
                unprintable.refuse_if_unprintable(letter.public_id, fingerprint)
                return _start(one_letter.key(letter, translation), public_id=letter.public_id, language=translation and translation.language)
            path, fingerprint = one_letter.pdf(letter, translation, now=True)
        except limits.BeingRendered:
            return BeingBuilt()
        except limits.Busy:
            return Busy()
        except unprintable.Unprintable as failed:
            # Logged and put before the moderators once, when its render failed; not again per request.
            return Unavailable(unprintable=True, retry_after=failed.retry_after)
        except OSError:
            log.exception("could not write the PDF cache")
            return Unavailable()
    suffix = f"-{translation.language}" if translation else ""
    return Ready(path, fingerprint, f"letter-{letter.published_at:%Y-%m-%d}-{letter.public_id}{suffix}.pdf")


def compilation_pdf(asked: str | None, since: date | None, until: date | None, language: str, may_build_range: RangeBudget) -> Answer:
    """A compilation of every letter, or of those in the language `asked`, published from `since` to
    `until` (None: open), in `language`. Built by a worker if it is not yet."""
    # Every publication, withdrawal and correction bumps the public revision: while it stands, the
    # compilation found for it is still the right one, so the letters need not be read again.
    known = current_app.extensions.setdefault("refusal_known_compilations", {})
    remembered = (asked, since, until, language, letters.public_revision())
    selection, built = known.get(remembered, (None, None))
    if built is None or not built.path.exists():
        selection, selected = choose(asked, since, until)
        if not selected:
            return NoLetters()  # never a compilation of nobody
        built = assembly.existing(selection, language, selected)
        if built is not None:
            if len(known) > 256:
                known.clear()
            known[remembered] = selection, built
    if built is None:
        # Date ranges are bounded; the standard compilations are what the builder service keeps ready.
        if selection.is_range and len(selected) > current_app.config["PDF_MAX_LETTERS"]:
            return TooManyLetters()
        key = selection.key(language)
        return _start(key, may_build_range if selection.is_range else None, selection=selection, language=language)
    if selection.is_range:
        cache.mark_used(built.path)  # pruning keeps a range's file while people ask for it
    return Ready(built.path, built.fingerprint, f"public-refusers-{selection.name}-{utcnow():%Y-%m-%d}.pdf")


def embargo_pdf(release_at: datetime, language: str) -> Answer:
    """A press preview's compilation of the letters embargoed until `release_at`, in `language`: the
    press's compilation of them, marked on every page. Built by a worker if it is not yet."""
    selection = Selection(embargo=release_at)
    selected = selection.letters()
    if not selected:
        return NoLetters()
    built = assembly.existing(selection, language, selected)
    if built is None:
        return _start(selection.key(language), selection=selection, language=language)
    return Ready(built.path, built.fingerprint, f"embargoed-{language}-{release_at:%Y-%m-%d}.pdf")


def range_problem(asked: str | None, since: date | None, until: date | None) -> NoLetters | TooManyLetters | None:
    """What would stop a download of the letters (in the language `asked`) published from `since` to
    `until`, said before the download is asked for (the press page's form); None: nothing would."""
    selection, selected = choose(asked, since, until)
    if not selected:
        return NoLetters()
    if selection.is_range and len(selected) > current_app.config["PDF_MAX_LETTERS"]:
        return TooManyLetters()
    return None


def _start(key: str, budget: RangeBudget | None = None, **job) -> Answer:
    """See that `key` is being built: by the builder service, by a worker already, or by a worker
    started now. A range's build (`budget` given) counts against the visitor's PDF_RANGE_RATE_LIMIT."""
    try:
        cache.check_writable()
    except OSError:
        log.exception("the PDF cache folder is not writable: no PDF can be built")
        return Unavailable()
    if limits.failed_recently(key, within=current_app.config["PDF_RETRY_AFTER_FAILURE"]):
        return Unavailable()  # the worker's log says why; asking again at once would fail the same way
    if service.keeps_built(key) or limits.is_locked(key):
        return BeingBuilt()
    if budget is not None and not budget(False):
        return TooManyRanges()
    try:
        started = worker.start(key, **job)
    except limits.Busy:
        return Busy()
    if budget is not None and started:
        budget(True)
    return BeingBuilt()
