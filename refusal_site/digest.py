"""Moderators are told what waits for them: one digest mail, not one per letter, at most every
MODERATION_DIGEST_MINUTES, with how many letters and signatures wait and how long the oldest has
waited; never a refuser's address or anything they wrote. Each moderator may turn it off.

The sender (`send-mail`) calls queue_if_due(); whoever holds the lock on the moderation_digest row
decides whether a digest is due, so with senders on many machines one digest goes per window.
A digest goes when something new has come in since the last one, or once a day while letters keep
waiting: the same waiting letter does not fill the moderators' mailboxes every window.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import format_timedelta
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from . import audit, mail
from .audit import AuditAction
from .extensions import db
from .models import Letter, LetterStatus, ModerationDigest, Moderator, Role, Signature, SignatureStatus, utcnow
from .storage import write_transaction
from .urls import site_url

# While the same letters keep waiting, with nothing new, moderators are reminded this often.
REMINDER = timedelta(days=1)


@dataclass(frozen=True)
class Waiting:
    """What waits for moderators, in numbers only."""

    letters: int
    signatures: int
    oldest: datetime | None  # when the longest-waiting letter or signature was confirmed
    new: int  # confirmed since the last digest

    @property
    def total(self) -> int:
        return self.letters + self.signatures


def waiting(*, since: datetime | None = None) -> Waiting:
    """How many letters and signatures wait for a moderator, the oldest's confirmation, and how many
    came in after `since`."""
    counts = []
    for model, status in ((Letter, LetterStatus.PENDING), (Signature, SignatureStatus.PENDING)):
        newer = func.count().filter(model.confirmed_at > since) if since else func.count()
        counts.append(db.session.execute(select(func.count(), func.min(model.confirmed_at), newer).where(model.status == status)).one())
    oldest = [row[1] for row in counts if row[1] is not None]
    return Waiting(letters=counts[0][0], signatures=counts[1][0], oldest=min(oldest) if oldest else None, new=counts[0][2] + counts[1][2])


def queue_if_due(*, now: datetime | None = None) -> int:
    """Queue the digest for every active moderator who wants it, when it is due; return how many
    messages were queued (0: not due, nothing waits, or another sender took this window)."""
    now = now or utcnow()
    window = timedelta(minutes=current_app.config["MODERATION_DIGEST_MINUTES"])
    try:
        with write_transaction():
            clock = db.session.execute(
                select(ModerationDigest).where(ModerationDigest.id == 1).with_for_update().execution_options(populate_existing=True)
            ).scalar_one_or_none()
            if clock is None:
                # The first digest ever: of two senders creating the row, one fails here and sends nothing.
                clock = ModerationDigest(id=1)
                db.session.add(clock)
                db.session.flush()
            last = clock.last_sent_at
            if last is not None and now - last < window:
                return 0
            found = waiting(since=last)
            if not found.total or (last is not None and not found.new and now - last < REMINDER):
                return 0
            recipients = db.session.execute(
                select(Moderator.email)
                .where(Moderator.is_active.is_(True), Moderator.digest_mail.is_(True), Moderator.role != Role.TRANSLATOR)
                .order_by(Moderator.id)
            ).scalars().all()
            for address in recipients:
                _queue(address, found, now)
            clock.last_sent_at = now
    except IntegrityError:
        return 0
    return len(recipients)


def _queue(address: str, found: Waiting, now: datetime) -> None:
    mail.queue(
        "moderation_digest", address, language=current_app.config["BABEL_DEFAULT_LOCALE"], about=None, waiting=found,
        oldest_wait=lambda: format_timedelta(now - found.oldest, add_direction=False), minutes=current_app.config["MODERATION_DIGEST_MINUTES"],
        queue_url=site_url("moderate.queue"), signatures_url=site_url("moderate.signature_queue"), account_url=site_url("moderate.account"),
    )  # fmt: skip


def set_wanted(moderator: Moderator, wanted: bool) -> Moderator:
    """Turn the digest on or off for this moderator (their own choice, audited)."""
    with write_transaction():
        moderator = db.session.execute(
            select(Moderator).where(Moderator.id == moderator.id).with_for_update().execution_options(populate_existing=True)
        ).scalar_one()
        if moderator.digest_mail != wanted:
            moderator.digest_mail = wanted
            audit.record(moderator, AuditAction.MODERATOR_DIGEST_MAIL, None, on=wanted)
    return moderator
