"""What visitors send (contact messages) and the site's own pages (About, Privacy)."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Language, UTCDateTime, enum_check, utcnow
from .team import Moderator


class ContactKind(StrEnum):
    QUESTION = "question"
    PRESS = "press"  # a press enquiry: shown as such in the inbox
    LETTER = "letter"  # a problem with a letter
    OTHER = "other"


class ContactMessage(db.Model):
    """A message a visitor sent through the contact form: read by moderators in their inbox, deleted
    some time after it was handled (it may hold a name and an address)."""

    __tablename__ = "contact_messages"
    __table_args__ = (
        CheckConstraint(enum_check("kind", ContactKind), name="kind"),
        CheckConstraint(enum_check("language", Language), name="language"),
        # The inbox: open messages first, newest first; retention finds the long-handled ones.
        Index("ix_contact_messages_handled_at_received_at", "handled_at", "received_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # Both optional and private: never shown on any public page.
    name: Mapped[str | None] = mapped_column(String(120))
    reply_email: Mapped[str | None] = mapped_column(String(254))
    body: Mapped[str] = mapped_column(Text)
    # The page's language when it was sent: the language to answer in.
    language: Mapped[str] = mapped_column(String(2))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("moderators.id"))

    handled_by: Mapped[Moderator | None] = relationship()

    @property
    def direction(self) -> str:
        return Language(self.language).direction


class SitePageSlug(StrEnum):
    ABOUT = "about"
    PRIVACY = "privacy"


class SitePage(db.Model):
    """An admin's text of one of the site's own pages (About, Privacy) in one language; without a row
    the page shows its default text (site_pages.py)."""

    __tablename__ = "site_pages"
    __table_args__ = (
        CheckConstraint(enum_check("slug", SitePageSlug), name="slug"),
        CheckConstraint(enum_check("language", Language), name="language"),
        UniqueConstraint("slug", "language"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(2))
    body_text: Mapped[str] = mapped_column(Text)
    # Made from body_text by sanitize.text_to_html, like a letter's.
    body_html: Mapped[str] = mapped_column(Text)
    # Bumped on every edit, so an edit made on a stale form is refused.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("moderators.id"))
