"""Audit rows as moderators read them: one sentence each in the page's language ("Published by
dana@…", "Hidden by its author"), the words from audit_words, addresses isolated left to right."""

from markupsafe import Markup, escape

from .. import audit_words
from ..models import AuditEvent, Moderator
from .blueprint import bp


def _address(email: str) -> Markup:
    return Markup('<bdi dir="ltr">%s</bdi>') % email


def audit_sentence(event: AuditEvent, accounts: dict[int, Moderator] | None = None) -> Markup:
    """What happened and who did it; `accounts` names the account a row is about (by id)."""
    who = _address(event.actor.email) if event.actor else escape(audit_words.actor_words(event.action, event.actor_label))
    target = (accounts or {}).get((event.details or {}).get("moderator_id"))
    whom = _address(target.email) if target else escape(str(audit_words.UNKNOWN_ACCOUNT))
    action = Markup('<code dir="ltr">%s</code>') % event.action
    return escape(str(audit_words.wording(event.action).sentence)) % {"who": who, "whom": whom, "action": action}


def audit_label(action: str) -> str:
    """An action alone, as the audit log's filter offers it."""
    return str(audit_words.wording(action).label)


@bp.context_processor
def _audit_words() -> dict:
    return {"audit_sentence": audit_sentence, "audit_label": audit_label}
