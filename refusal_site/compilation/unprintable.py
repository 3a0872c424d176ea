"""Letters whose pages cannot be rendered.

A letter stored before the sanitizer bounded its HTML (or one that trips WeasyPrint some other way)
must not take the press down with it. A failed render is remembered in a file for
PDF_UNPRINTABLE_SECONDS, by the letter's fingerprint: its PDF answers 503 meanwhile, compilations
print a note in its place, and moderators are told (an audit row, a banner in the queue)."""

import dataclasses
import json
import logging
import math
import os

from flask import current_app
from sqlalchemy import select
from weasyprint.text.fonts import FontConfiguration

from .. import audit
from ..audit import Actor, AuditAction
from ..extensions import db
from ..models import Letter, LetterStatus, utcnow
from ..storage import write_transaction
from . import cache, pages
from .limits import renders_inline
from .pages import Placed, placed
from .rendering import stand_in_markup
from .selection import PrintedLetter, html_digest, letter_fingerprint, printed

log = logging.getLogger(__name__)


class Unprintable(Exception):
    """The letter's pages could not be rendered; asking again is no use for `retry_after` seconds."""

    def __init__(self, public_id: str, retry_after: int) -> None:
        super().__init__(f"the pages of letter {public_id} could not be rendered")
        self.public_id = public_id
        self.retry_after = retry_after


def remember(letter: PrintedLetter, error: BaseException) -> None:
    """Remember that these pages failed to render (and log it, once per failure, not per request)."""
    # A recursion's traceback is a thousand frames of one loop.
    log.error("the pages of letter %s could not be rendered (%s); remembered for %s s", letter.public_id, type(error).__name__,
              current_app.config["PDF_UNPRINTABLE_SECONDS"], exc_info=None if isinstance(error, RecursionError) else error)
    mark = {"public_id": letter.public_id, "fingerprint": letter.fingerprint, "html": html_digest(letter.body_html),
            "error": type(error).__name__, "reported": False}
    cache.write_atomically(cache.render_failure_path(letter.public_id, letter.fingerprint), json.dumps(mark).encode())


def _failure(public_id: str, fingerprint: str) -> dict | None:
    """The mark of a failed render of these pages, if one was made within PDF_UNPRINTABLE_SECONDS."""
    path = cache.render_failure_path(public_id, fingerprint)
    try:
        if utcnow().timestamp() - path.stat().st_mtime >= current_app.config["PDF_UNPRINTABLE_SECONDS"]:
            return None
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def failed(letter: PrintedLetter) -> bool:
    """Whether these pages failed to render within PDF_UNPRINTABLE_SECONDS."""
    return _failure(letter.public_id, letter.fingerprint) is not None


def refuse_if_unprintable(public_id: str, fingerprint: str) -> None:
    """Unprintable if these pages failed to render within PDF_UNPRINTABLE_SECONDS."""
    path = cache.render_failure_path(public_id, fingerprint)
    if _failure(public_id, fingerprint) is not None:
        left = current_app.config["PDF_UNPRINTABLE_SECONDS"] - (utcnow().timestamp() - path.stat().st_mtime)
        raise Unprintable(public_id, max(1, math.ceil(left)))


def forget_failures(public_id: str) -> None:
    """A letter rendered: it is not unprintable any more, whichever of its versions failed before."""
    for path in (cache.folder() / "failures").glob(f"render-{public_id}-*.json"):
        path.unlink(missing_ok=True)


def render_safely(run: list[PrintedLetter], font_config: FontConfiguration | None) -> None:
    """pages.render_run(), but a letter that cannot be rendered is remembered and left out instead of
    failing the others: a failed run is rendered again a letter at a time. Letters that failed within
    PDF_UNPRINTABLE_SECONDS are not tried again."""
    run = [letter for letter in run if not failed(letter)]
    if not run:
        return
    try:
        pages.render_run(run, font_config)
    except OSError:
        raise  # out of time, or the disk: not the letters' doing
    except Exception as error:
        if len(run) == 1:
            remember(run[0], error)
            return
        for letter in run:
            render_safely([letter], font_config)
        return
    for letter in run:
        forget_failures(letter.public_id)


def stand_ins(unprintable: list[PrintedLetter], font_config: FontConfiguration | None) -> list[Placed | None]:
    """Where the pages shown in place of each unprintable letter are (rendered if not kept yet)."""
    shown = [dataclasses.replace(letter, body_html="", signers=(), fingerprint=f"{letter.fingerprint}-stand-in")
             for letter in unprintable]  # fmt: skip
    pages.render_run(shown, font_config, markup=stand_in_markup)
    return [placed(letter.fingerprint) for letter in shown]


def report(selected: list[Letter]) -> None:
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
            audit.record(Actor.SYSTEM, AuditAction.LETTER_RENDER_FAILED, letter, fingerprint=mark["fingerprint"], error=mark["error"])
    for letter in unreported:
        mark = {**marks[letter.id], "reported": True}
        path = cache.render_failure_path(letter.public_id, mark["fingerprint"])
        # Rewritten with its own time, so that being reported does not lengthen how long it is remembered.
        stamp = path.stat().st_mtime
        cache.write_atomically(path, json.dumps(mark).encode())
        os.utime(path, (stamp, stamp))


# The states in which a letter may be public, or is about to be: those moderators hear about.
_WATCHED = (LetterStatus.PENDING, LetterStatus.SCHEDULED, LetterStatus.PUBLISHED, LetterStatus.UNPUBLISHED)


def unprintable_letters() -> list[Letter]:
    """Letters whose present text failed to render (whenever that was, as long as its mark is kept),
    for the moderators' queue: oldest first. One query, for the letters that have a mark."""
    marks: dict[str, set[str]] = {}
    for path in (cache.folder() / "failures").glob("render-*.json"):
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
    return [letter for letter in found if html_digest(letter.body_html) in marks[letter.public_id]]


def render_problem(letter: Letter) -> str | None:
    """Why the letter's pages cannot be rendered (the error's name), or None if they can: what its
    last render found, or else a render of it alone now, as if published now if it is not (kept, so
    the build after its approval today renders nothing of it). A letter too long to render in a
    request is not tried here: None."""
    moments = None if letter.published_at else {letter.id: utcnow()}
    (shown,) = printed([letter], moments)
    mark = _failure(shown.public_id, shown.fingerprint)
    if mark is None and placed(shown.fingerprint) is None and renders_inline(letter):
        try:
            render_safely([shown], None)
        except OSError:
            log.exception("could not try the pages of letter %s (the PDF cache?)", letter.public_id)
            return None  # the review page is still shown; the build will find out
        mark = _failure(shown.public_id, shown.fingerprint)
        if mark is not None:
            report([letter])
    return mark["error"] if mark else None
