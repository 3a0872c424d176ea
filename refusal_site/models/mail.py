"""Mail waiting to go out, and the marks that limit how much mail an address can be sent."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


class QueuedMail(db.Model):
    """A composed message waiting to be sent, written in the transaction of the change that caused it.

    Deleted once delivered, or dropped after too many failures: it holds an address and private links.
    """

    __tablename__ = "queued_mail"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The kind of message ("confirm", "rejected", ...): what logs name instead of the recipient.
    template: Mapped[str] = mapped_column(String(40))
    # The whole message as it will be sent (headers and body, in the recipient's language).
    message: Mapped[bytes] = mapped_column(LargeBinary)
    # What the message is about: purging a letter or signature deletes its unsent mail with it,
    # and erasing its contact address deletes that mail too.
    letter_id: Mapped[int | None] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), index=True)
    signature_id: Mapped[int | None] = mapped_column(ForeignKey("signatures.id", ondelete="CASCADE"), index=True)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When a sender may take it: now when queued; later while a sender holds it (a lease that ends
    # by itself if that sender dies) and after a failure (the retry's backoff).
    available_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # The last failure as an error class and SMTP code, never the server's text (it may quote the address).
    last_error: Mapped[str | None] = mapped_column(String(80))

    def __repr__(self) -> str:
        return f"<QueuedMail {self.id} {self.template} attempts={self.attempts}>"


class MailMark(db.Model):
    """One message anyone could cause by typing an address, kept for a day: what the per-recipient
    limit counts (see mail.py). A keyed hash stands for the address, which is never kept here."""

    __tablename__ = "mail_marks"
    __table_args__ = (Index("ix_mail_marks_recipient_key_queued_at", "recipient_key", "queued_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient_key: Mapped[str] = mapped_column(String(64))
    template: Mapped[str] = mapped_column(String(40))
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
