"""The stock reasons moderators pick when they reject or take down a letter, kept by admins in each
language. The author reads a stock reason in their letter's language; words a moderator adds reach
them as written. Retired reasons are no longer offered but stay on the record."""

from sqlalchemy import select

from . import audit, sanitize
from .audit import AuditAction
from .extensions import db
from .models import Language, Moderator, RejectionReason, utcnow
from .storage import write_transaction

TEXT_MAX = 500


class StaleReason(Exception):
    """The reason was changed by someone else since the form was opened."""


def offered() -> list[RejectionReason]:
    """The reasons moderators may pick now, oldest first."""
    return list(db.session.execute(select(RejectionReason).where(RejectionReason.retired_at.is_(None)).order_by(RejectionReason.id)).scalars())


def every_reason() -> list[RejectionReason]:
    """Offered and retired reasons alike, oldest first (for the admins' page)."""
    return list(db.session.execute(select(RejectionReason).order_by(RejectionReason.id)).scalars())


def offered_by_id(reason_id: int) -> RejectionReason | None:
    """The reason with this id if it is offered now; None for a retired or unknown one."""
    reason = db.session.get(RejectionReason, reason_id)
    return reason if reason is not None and reason.retired_at is None else None


def compose(reason: RejectionReason | None, own_words: str | None, language: str) -> str:
    """The reason as the author reads it: the stock reason in the letter's language, then the
    moderator's own words as written."""
    parts = [reason.text(language)] if reason is not None else []
    if own_words and (own_words := sanitize.clean_text(own_words)):
        parts.append(own_words)
    return "\n\n".join(parts)


def _texts(texts: dict[str, str]) -> dict[str, str]:
    return {f"text_{language.value}": sanitize.clean_text(texts[language.value]) for language in Language}


def create(texts: dict[str, str], *, by: Moderator) -> RejectionReason:
    """Offer a new reason, written in each language."""
    with write_transaction():
        reason = RejectionReason(**_texts(texts), updated_by_id=by.id)
        db.session.add(reason)
        db.session.flush()
        audit.record(by, AuditAction.REJECTION_REASON_CREATE, None, reason_id=reason.id)
    return reason


def _locked(reason: RejectionReason, expected_revision: int) -> RejectionReason:
    fresh = db.session.execute(
        select(RejectionReason).where(RejectionReason.id == reason.id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()
    if fresh.revision != expected_revision:
        raise StaleReason(f"reason {fresh.id} is at revision {fresh.revision}, not {expected_revision}")
    return fresh


def edit(reason: RejectionReason, texts: dict[str, str], *, by: Moderator, expected_revision: int) -> RejectionReason:
    """Change a reason's words; letters already refused keep what their authors were told."""
    with write_transaction():
        reason = _locked(reason, expected_revision)
        for column, text in _texts(texts).items():
            setattr(reason, column, text)
        reason.revision, reason.updated_at, reason.updated_by_id = reason.revision + 1, utcnow(), by.id
        audit.record(by, AuditAction.REJECTION_REASON_EDIT, None, reason_id=reason.id)
    return reason


def set_retired(reason: RejectionReason, retired: bool, *, by: Moderator, expected_revision: int) -> RejectionReason:
    """Stop offering a reason, or offer it again."""
    with write_transaction():
        reason = _locked(reason, expected_revision)
        reason.retired_at = utcnow() if retired else None
        reason.revision, reason.updated_at, reason.updated_by_id = reason.revision + 1, utcnow(), by.id
        action = AuditAction.REJECTION_REASON_RETIRE if retired else AuditAction.REJECTION_REASON_RESTORE
        audit.record(by, action, None, reason_id=reason.id)
    return reason
