"""A letter, its co-signatures, its earlier versions, and the public tally that counts them."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import LIMITS, Language, LetterStatus, UTCDateTime, enum_check, new_public_id, utcnow


class Letter(db.Model):
    __tablename__ = "letters"
    __table_args__ = (
        CheckConstraint(enum_check("status", LetterStatus), name="status"),
        CheckConstraint(enum_check("language", Language), name="language"),
        # The public list, the feed and the API: published letters, newest first.
        Index("ix_letters_status_published_at", "status", "published_at"),
        Index("ix_letters_status_language_published_at", "status", "language", "published_at"),
        # The moderation queue (oldest confirmed first) and the embargo release.
        Index("ix_letters_status_confirmed_at", "status", "confirmed_at"),
        Index("ix_letters_status_scheduled_at", "status", "scheduled_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    display_name: Mapped[str] = mapped_column(String(LIMITS["display_name"]))
    descriptor: Mapped[str | None] = mapped_column(String(LIMITS["descriptor"]))
    language: Mapped[str] = mapped_column(String(2))
    title: Mapped[str | None] = mapped_column(String(LIMITS["title"]))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=LetterStatus.UNCONFIRMED)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # When it was last published, rejected, withdrawn or unpublished: starts the contact's erasure clock.
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A random key carried by the form, so a double click or a re-posted form stores one letter.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Private: never rendered on any public surface; erased some time after a decision.
    contact_email: Mapped[str | None] = mapped_column(String(254))
    # SHA-256 of what the public sees (name, descriptor, language, title, text).
    content_hash: Mapped[str] = mapped_column(String(64))
    # Bumped on every change, so a decision taken on a stale view can be refused.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # 64-bit SimHash of the normalized text, to point moderators at near-duplicates.
    text_simhash: Mapped[int] = mapped_column(BigInteger, default=0)
    # The name folded for comparison (case, spacing, marks), to spot the same name twice.
    name_key: Mapped[str] = mapped_column(String(120), default="", index=True)
    # A collective letter: others may co-sign it (each published signature counts as a refuser).
    collective: Mapped[bool] = mapped_column(default=False)
    # When a moderator closed it to new signatures; signatures given before stay.
    signing_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Published signatures of this letter (counted in the tally while the letter is published).
    signatures_published: Mapped[int] = mapped_column(Integer, default=0)
    # Bumped whenever the public list of signers changes: part of the letter's PDF fingerprint.
    signers_version: Mapped[int] = mapped_column(Integer, default=0)
    # When a moderator last changed what the public had already seen (shown as "corrected on").
    corrected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Who hid a paused letter: "author" (who may bring it back) or "team" (an admin's emergency hide).
    paused_by: Mapped[str | None] = mapped_column(String(16))
    # Signed into the author's links (tokens.py): bumped when the author corrects the contact address
    # before confirming, so the links mailed to the old address stop working.
    link_version: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def direction(self) -> str:
        return Language(self.language).direction

    @property
    def open_for_signing(self) -> bool:
        return self.collective and self.signing_closed_at is None and self.status == LetterStatus.PUBLISHED

    def __repr__(self) -> str:
        return f"<Letter {self.public_id} {self.status}>"


class SignatureStatus(StrEnum):
    UNCONFIRMED = "unconfirmed"  # given, the signer has not confirmed by mail yet
    PENDING = "pending"  # confirmed, waiting for a moderator
    PUBLISHED = "published"  # shown under the letter and counted
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"  # the signer took it back
    UNPUBLISHED = "unpublished"  # was public, a moderator took it down
    PAUSED = "paused"  # was public, hidden for now by its author or an admin; comes back with its date


class Signature(db.Model):
    """One person co-signing a collective letter."""

    __tablename__ = "signatures"
    __table_args__ = (
        CheckConstraint(enum_check("status", SignatureStatus), name="status"),
        # One signature per address per letter; a withdrawn one does not stop signing again.
        Index(
            "uq_signatures_letter_id_email_key",
            "letter_id",
            "email_key",
            unique=True,
            sqlite_where=text("status != 'withdrawn'"),
            postgresql_where=text("status != 'withdrawn'"),
        ),
        # The letter's public list (in order of signing) and the moderation queue.
        Index("ix_signatures_letter_id_status_confirmed_at", "letter_id", "status", "confirmed_at", "id"),
        Index("ix_signatures_status_confirmed_at", "status", "confirmed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"))
    display_name: Mapped[str] = mapped_column(String(LIMITS["display_name"]))
    descriptor: Mapped[str | None] = mapped_column(String(LIMITS["descriptor"]))
    status: Mapped[str] = mapped_column(String(16), default=SignatureStatus.UNCONFIRMED)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Private: never public; erased some time after a decision, like a letter's.
    contact_email: Mapped[str | None] = mapped_column(String(254))
    # A keyed hash of the address: keeps "one signature per address" after the address is erased.
    email_key: Mapped[str] = mapped_column(String(64))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # Who hid a paused signature: "author" (its signer, who may bring it back) or "team" (an admin's emergency hide).
    paused_by: Mapped[str | None] = mapped_column(String(16))

    letter: Mapped[Letter] = relationship()

    def __repr__(self) -> str:
        return f"<Signature {self.public_id} {self.status}>"


class LetterVersion(db.Model):
    """An earlier version of a letter's public fields, kept when a moderator corrects it."""

    __tablename__ = "letter_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), index=True)
    display_name: Mapped[str] = mapped_column(String(LIMITS["display_name"]))
    descriptor: Mapped[str | None] = mapped_column(String(LIMITS["descriptor"]))
    title: Mapped[str | None] = mapped_column(String(LIMITS["title"]))
    body_text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    # When this version stopped being current, and who replaced it.
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("moderators.id"))


class PublicTally(db.Model):
    """One row: what the public sees counted, read with a single primary-key lookup."""

    __tablename__ = "public_tally"
    __table_args__ = (CheckConstraint("id = 1", name="singleton"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Public refusers: each published letter's author, plus each published signature of a published letter.
    refusers: Mapped[int] = mapped_column(Integer, default=0)
    signatures: Mapped[int] = mapped_column(Integer, default=0)
    letters_he: Mapped[int] = mapped_column(Integer, default=0)
    letters_ar: Mapped[int] = mapped_column(Integer, default=0)
    letters_en: Mapped[int] = mapped_column(Integer, default=0)
    last_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The earliest embargo: the first public request after it publishes what is due.
    next_release_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Bumped whenever anything public changes; keys every public cache.
    revision: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def letters(self) -> int:
        return self.letters_he + self.letters_ar + self.letters_en

    def letters_in(self, language: str) -> int:
        return getattr(self, f"letters_{Language(language).value}")
