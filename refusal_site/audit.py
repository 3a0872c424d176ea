"""The append-only audit trail: one row for every state change and who made it."""

from enum import StrEnum

from .extensions import db
from .models import AuditEvent, Letter, Moderator


class AuditAction(StrEnum):
    LETTER_SUBMIT = "letter:submit"
    LETTER_CONFIRM = "letter:confirm"
    LETTER_PUBLISH = "letter:publish"
    LETTER_REJECT = "letter:reject"
    LETTER_WITHDRAW = "letter:withdraw"
    LETTER_UNPUBLISH = "letter:unpublish"
    LETTER_PURGE = "letter:purge"
    CONTACT_ERASE = "contact:erase"
    TALLY_REPAIR = "tally:repair"
    MODERATOR_CREATE = "moderator:create"
    DEMO_SEED = "demo:seed"


def record(
    actor: Moderator | str,
    action: AuditAction,
    letter: Letter | None = None,
    *,
    reason: str | None = None,
    hash_before: str | None = None,
    hash_after: str | None = None,
    **details: object,
) -> AuditEvent:
    """Add an audit row to the current transaction (the caller commits it with the change)."""
    event = AuditEvent(
        action=str(action),
        actor_id=actor.id if isinstance(actor, Moderator) else None,
        actor_label=actor.role if isinstance(actor, Moderator) else actor,
        letter_id=letter.id if letter is not None else None,
        reason=reason,
        hash_before=hash_before,
        hash_after=hash_after,
        details=details,
    )
    db.session.add(event)
    return event
