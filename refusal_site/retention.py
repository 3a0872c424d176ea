"""What the site forgets, and when: submissions never confirmed, and contact addresses once decided.

Letters and co-signatures are forgotten the same way; letters.py and signatures.py each say which.
"""

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from . import audit
from .audit import Actor, AuditAction
from .extensions import db
from .models import Letter, QueuedMail, Signature, utcnow
from .storage import write_transaction

# States after a moderator's (or the author's) decision, the same words for letters and signatures
# (a paused one was published, and its address is kept no longer than a published one's).
DECIDED = ("published", "rejected", "withdrawn", "unpublished", "paused")


def purge_unconfirmed(model: type[Letter] | type[Signature], action: AuditAction, *, window: timedelta, now: datetime | None = None) -> int:
    """Delete the rows never confirmed within `window` (their unsent mail goes with them); return how many."""
    cutoff = (now or utcnow()) - window
    with write_transaction():
        ids = list(db.session.execute(select(model.id).where(model.status == "unconfirmed", model.submitted_at < cutoff)).scalars())
        if ids:
            db.session.execute(delete(model).where(model.id.in_(ids)))
            audit.record(Actor.SYSTEM, action, None, **{model.__tablename__: len(ids)})
    return len(ids)


def erase_contacts(model: type[Letter] | type[Signature], *, after: timedelta, now: datetime | None = None) -> int:
    """Erase the contact address of rows decided more than `after` ago, and any mail to it not sent
    yet; return how many rows."""
    cutoff = (now or utcnow()) - after
    decided = select(model.id).where(model.status.in_(DECIDED), model.decided_at < cutoff)
    mail_of = QueuedMail.letter_id if model is Letter else QueuedMail.signature_id
    with write_transaction():
        db.session.execute(delete(QueuedMail).where(mail_of.in_(decided)))
        erased = db.session.execute(
            update(model).where(model.status.in_(DECIDED), model.decided_at < cutoff, model.contact_email.is_not(None)).values(contact_email=None)
        ).rowcount
        if erased:
            audit.record(Actor.SYSTEM, AuditAction.CONTACT_ERASE, None, **{model.__tablename__: erased})
    return erased
