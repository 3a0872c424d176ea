"""Press previews: an admin gives named journalists a link to an embargo's letters (those scheduled
for one moment) before their release. A link works until that moment, until it is revoked, or until
no letter is scheduled for that moment any more (the embargo was lifted or moved: for good); every opening is
on the record. Only a hash of its token is kept, so the database cannot give a link away.

Each link names one journalist (one line of the admin's list), so that no journalist's copy tells
who else has one; each is revoked, and its openings counted, on its own. The same form posted
twice (a double press, a form sent again) makes its links once: AlreadyMade."""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from . import audit
from .audit import Actor, AuditAction
from .extensions import db
from .models import Letter, LetterStatus, Moderator, PressPreview, utcnow
from .storage import write_transaction

RECIPIENTS_MAX = 1000
# Links made by one action, one a journalist: all of them are shown once from the admin's session
# (a signed cookie, which browsers keep only up to 4 KB).
AT_ONCE = 20
# What secrets.token_urlsafe(32) makes: anything else names no preview and is not looked up.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


class NoSuchEmbargo(Exception):
    """No letter is scheduled for that moment (any more), or the moment has passed."""


class PreviewUnknown(Exception):
    """The link names no preview: mistyped, tampered with, or made up."""


class PreviewGone(Exception):
    """The link named a preview that no longer works: released, revoked or lifted."""


class AlreadyMade(Exception):
    """The form that asks for these links was posted before: `previews` are what that post made
    (their links were shown once then, and cannot be shown again)."""

    def __init__(self, previews: list[PressPreview]) -> None:
        super().__init__(f"already made as previews {[preview.id for preview in previews]}")
        self.previews = previews


@dataclass(frozen=True)
class Embargo:
    release_at: datetime
    letters: int


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def embargoes(*, now: datetime | None = None) -> list[Embargo]:
    """The embargoes to come: each moment letters are scheduled for, soonest first, with how many."""
    query = (
        select(Letter.scheduled_at, func.count())
        .where(Letter.status == LetterStatus.SCHEDULED, Letter.scheduled_at > (now or utcnow()))
        .group_by(Letter.scheduled_at)
        .order_by(Letter.scheduled_at)
    )
    return [Embargo(moment, count) for moment, count in db.session.execute(query)]


def embargoed_letters(release_at: datetime, *, lock: bool = False) -> list[Letter]:
    """The letters scheduled for `release_at`, in the order they were confirmed (`lock`: their rows
    locked until the transaction ends, so none leaves the embargo meanwhile)."""
    query = select(Letter).where(Letter.status == LetterStatus.SCHEDULED, Letter.scheduled_at == release_at)
    if lock:
        query = query.with_for_update()
    return list(db.session.execute(query.order_by(Letter.confirmed_at, Letter.id)).scalars())


def every_preview() -> list[PressPreview]:
    """Every preview made, newest first, with who made it."""
    query = select(PressPreview).options(selectinload(PressPreview.created_by)).order_by(PressPreview.id.desc())
    return list(db.session.execute(query).scalars())


def is_live(preview: PressPreview, *, now: datetime | None = None) -> bool:
    """Whether its link still works: not revoked, not released, and its embargo has held letters
    every moment since it was made."""
    return (preview.revoked_at is None and preview.ended_at is None and preview.release_at > (now or utcnow())
            and bool(embargoed_letters(preview.release_at)))


def end_emptied() -> None:
    """End for good the previews of every embargo that no letter is scheduled for any more. Called by
    every change of a letter's embargo, in its transaction (letters.py): a link that stopped working
    must not open letters scheduled for the same moment later, which were never meant for its journalists."""
    still = select(Letter.id).where(Letter.status == LetterStatus.SCHEDULED, Letter.scheduled_at == PressPreview.release_at)
    db.session.execute(
        update(PressPreview).where(PressPreview.ended_at.is_(None), ~still.exists()).values(ended_at=utcnow()).execution_options(synchronize_session=False)
    )


def create(
    release_at: datetime, recipients: list[str], *, by: Moderator, submission_key: str | None = None, now: datetime | None = None
) -> list[tuple[PressPreview, str]]:
    """A preview of the embargo of `release_at` for each of `recipients` (one journalist each, as the
    admin wrote them, a name twice made once), with its token: the only time the tokens exist in the
    clear. A post of the same form again (`submission_key`) makes nothing and raises AlreadyMade."""
    names = list(dict.fromkeys(recipients))
    if not names or len(names) > AT_ONCE:
        raise ValueError(f"{len(names)} recipients")
    tokens = [secrets.token_urlsafe(32) for _ in names]
    try:
        with write_transaction():
            # The letters held until the previews are stored: a lift at this moment waits, then ends them (end_emptied).
            if release_at <= (now or utcnow()) or not embargoed_letters(release_at, lock=True):
                raise NoSuchEmbargo(release_at.isoformat())
            previews = [
                PressPreview(token_hash=_hash(token), release_at=release_at, recipients=name, created_by_id=by.id,
                             submission_key=submission_key, submission_line=line if submission_key else None)
                for line, (name, token) in enumerate(zip(names, tokens))
            ]  # fmt: skip
            db.session.add_all(previews)
            # The unique (submission_key, submission_line), not a look-up first, decides: two racing
            # posts of one form cannot both get in.
            db.session.flush()
            for preview in previews:
                audit.record(by, AuditAction.PRESS_PREVIEW_CREATE, None, preview=preview.id, release_at=release_at.isoformat())
    except IntegrityError:
        made = made_by(submission_key) if submission_key else []
        if made:
            raise AlreadyMade(made) from None
        raise
    return list(zip(previews, tokens))


def made_by(submission_key: str) -> list[PressPreview]:
    """The previews one post of the form made, in the order of its list."""
    query = select(PressPreview).where(PressPreview.submission_key == submission_key).order_by(PressPreview.submission_line)
    return list(db.session.execute(query).scalars())


def previews_by_id(ids: list[int]) -> dict[int, PressPreview]:
    """These previews, by id (those that exist)."""
    return {preview.id: preview for preview in db.session.execute(select(PressPreview).where(PressPreview.id.in_(ids))).scalars()}


def revoke(preview_id: int, *, by: Moderator) -> PressPreview | None:
    """Stop a preview's link from working; None if there is no such preview. Revoking it again changes nothing."""
    with write_transaction():
        preview = db.session.execute(select(PressPreview).where(PressPreview.id == preview_id).with_for_update()).scalar_one_or_none()
        if preview is not None and preview.revoked_at is None:
            preview.revoked_at = utcnow()
            audit.record(by, AuditAction.PRESS_PREVIEW_REVOKE, None, preview=preview.id)
    return preview


def by_token(token: str, *, now: datetime | None = None) -> PressPreview:
    """The live preview a link's token names; PreviewUnknown or PreviewGone."""
    preview = None
    if _TOKEN.fullmatch(token):
        preview = db.session.execute(select(PressPreview).where(PressPreview.token_hash == _hash(token))).scalar_one_or_none()
    if preview is None:
        raise PreviewUnknown()
    if not is_live(preview, now=now):
        raise PreviewGone(preview.id)
    return preview


def record_opening(preview: PressPreview, what: str, language: str) -> None:
    """Put an opening of the preview's page or PDF (`what`) on the record, by the preview's number."""
    with write_transaction():
        db.session.execute(update(PressPreview).where(PressPreview.id == preview.id).values(openings=PressPreview.openings + 1))
        audit.record(Actor.JOURNALIST, AuditAction.PRESS_PREVIEW_OPEN, None, preview=preview.id, opened=what, language=language)
