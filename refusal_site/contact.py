"""Messages visitors send the team through the contact form: kept for the moderators' inbox, mailed
to CONTACT_TEAM_EMAIL when one is configured, marked handled (audited), and deleted
CONTACT_RETENTION_DAYS after they were handled.

A message holds what a stranger typed, an address among it: it is shown only in the moderation area,
and the team's mail quotes it through `unlinked`, which no mail client makes a link of. The team's
address counts against mail.py's per-recipient limit like any typed address, so a flood through the
form cannot flood the team's mailbox; the inbox keeps every message whatever the limit held back.
"""

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, delete, func, select

from . import audit, mail, sanitize
from .audit import Actor, AuditAction
from .extensions import db
from .models import ContactKind, ContactMessage, Moderator, utcnow
from .storage import write_transaction
from .urls import site_url


# What each kind of message is called: in the form, the inbox and the team's mail.
KIND_LABELS = {
    ContactKind.QUESTION: _l("A question"),
    ContactKind.PRESS: _l("A press enquiry"),
    ContactKind.LETTER: _l("A problem with a letter"),
    ContactKind.OTHER: _l("Something else"),
}


class AlreadyDone(Exception):
    """The message is already handled (or open again): a stale page asked for it twice."""


def receive(*, kind: str, name: str | None, reply_email: str | None, body: str, language: str) -> ContactMessage:
    """Keep a visitor's message and, when a team address is configured, queue it there, in one
    transaction. Fields are checked by the form; they are stored as cleaned here."""
    with write_transaction():
        message = ContactMessage(
            kind=ContactKind(kind).value,
            name=sanitize.clean_line(name or "") or None,
            reply_email=(reply_email or "").strip() or None,
            body=sanitize.clean_text(body),
            language=language,
        )
        db.session.add(message)
        db.session.flush()
        team = current_app.config["CONTACT_TEAM_EMAIL"]
        if team:
            # In the site's own language: the team's, not the visitor's.
            mail.queue(
                "contact", team, language=current_app.config["BABEL_DEFAULT_LOCALE"], about=None,
                message=message, kind_label=KIND_LABELS[ContactKind(message.kind)], inbox_url=site_url("moderate.inbox_message", message_id=message.id),
            )  # fmt: skip
    return message


def message_by_id(message_id: int) -> ContactMessage | None:
    return db.session.get(ContactMessage, message_id) if 0 < message_id < 2**31 else None


def inbox(*, handled: bool) -> Select[tuple[ContactMessage]]:
    """Open messages oldest first (the next to answer on top), or handled ones newest first."""
    if handled:
        return select(ContactMessage).where(ContactMessage.handled_at.is_not(None)).order_by(ContactMessage.handled_at.desc())
    return select(ContactMessage).where(ContactMessage.handled_at.is_(None)).order_by(ContactMessage.received_at, ContactMessage.id)


def open_count() -> int:
    return db.session.execute(select(func.count()).select_from(ContactMessage).where(ContactMessage.handled_at.is_(None))).scalar_one()


def mark_handled(message: ContactMessage, *, by: Moderator, handled: bool = True) -> ContactMessage:
    """Mark a message handled (or open again), with an audit row; AlreadyDone if it already is."""
    with write_transaction():
        message = db.session.execute(select(ContactMessage).where(ContactMessage.id == message.id).with_for_update()).scalar_one()
        if (message.handled_at is not None) == handled:
            raise AlreadyDone(message.id)
        message.handled_at, message.handled_by_id = (utcnow(), by.id) if handled else (None, None)
        action = AuditAction.CONTACT_MESSAGE_HANDLE if handled else AuditAction.CONTACT_MESSAGE_REOPEN
        audit.record(by, action, None, message=message.id, kind=message.kind)
    return message


def purge_handled(*, after: timedelta, now: datetime | None = None) -> int:
    """Delete the messages handled more than `after` ago; return how many."""
    cutoff = (now or utcnow()) - after
    with write_transaction():
        deleted = db.session.execute(
            delete(ContactMessage).where(ContactMessage.handled_at < cutoff).execution_options(synchronize_session=False)
        ).rowcount
        if deleted:
            audit.record(Actor.SYSTEM, AuditAction.CONTACT_MESSAGE_PURGE, None, contact_messages=deleted)
    return deleted
