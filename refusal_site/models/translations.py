"""A letter's translations and their earlier versions, and the translations its author wrote that
wait for the team's check."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ColumnElement, ForeignKey, Index, Integer, String, Text, UniqueConstraint, and_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import LIMITS, Language, LetterStatus, UTCDateTime, enum_check, new_public_id, utcnow
from .letters import Letter
from .team import Moderator


class TranslationStatus(StrEnum):
    DRAFT = "draft"  # claimed or being written by the team, not yet shown to the author
    AWAITING_AUTHOR = "awaiting_author"  # mailed to the author, who approves it or sends it back
    RETURNED = "returned"  # the author sent it back with a comment
    APPROVED = "approved"  # public while its letter is published
    TO_REVIEW = "to_review"  # the original was corrected after approval: not public until approved again


class TranslationApproval(StrEnum):
    AUTHOR = "author"  # the author approved it (or wrote it, and the team checked it: author_translations.py)
    TEAM = "team"  # an admin published it after the author's address was erased: "not reviewed by the author"


class Translation(db.Model):
    """A letter's title and text in another of the site's languages, at most one per language. It
    speaks in the author's name, so it is public only once approved (by the author, or by an admin
    when the author can no longer be asked) and only while its letter is published."""

    __tablename__ = "translations"
    __table_args__ = (
        CheckConstraint(enum_check("status", TranslationStatus), name="status"),
        CheckConstraint(enum_check("language", Language), name="language"),
        CheckConstraint(f"approved_by IS NULL OR {enum_check('approved_by', TranslationApproval)}", name="approved_by"),
        UniqueConstraint("letter_id", "language"),
        # The work queue: what is claimed, by whom.
        Index("ix_translations_claimed_by_id", "claimed_by_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(2))
    title: Mapped[str | None] = mapped_column(String(LIMITS["title"]))
    body_text: Mapped[str] = mapped_column(Text, default="")
    # Made from body_text by sanitize.text_to_html, like a letter's.
    body_html: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=TranslationStatus.DRAFT)
    # What it was made from (letter_translations.source_hash: the title and text): a correction of those changes it.
    source_hash: Mapped[str] = mapped_column(String(64), default="")
    # Who wrote it: a member of the team, or (NULL) the author.
    written_by_id: Mapped[int | None] = mapped_column(ForeignKey("moderators.id"))
    # Who holds it while it is written, so two people do not translate the same letter.
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("moderators.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when approved (TranslationApproval); with TEAM, the admin who published it.
    approved_by: Mapped[str | None] = mapped_column(String(16))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("moderators.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The author's words when they sent it back.
    author_comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # Bumped on every change, so an approval or an edit made on a stale page is refused.
    revision: Mapped[int] = mapped_column(Integer, default=1)

    letter: Mapped[Letter] = relationship()
    written_by: Mapped[Moderator | None] = relationship(foreign_keys=[written_by_id])
    claimed_by: Mapped[Moderator | None] = relationship(foreign_keys=[claimed_by_id])

    @property
    def direction(self) -> str:
        return Language(self.language).direction

    @property
    def is_public(self) -> bool:
        return self.status == TranslationStatus.APPROVED and self.letter.status == LetterStatus.PUBLISHED

    @staticmethod
    def public_clause() -> ColumnElement[bool]:
        """is_public in SQL, for a query that joins each translation to its letter."""
        return and_(Translation.status == TranslationStatus.APPROVED, Letter.status == LetterStatus.PUBLISHED)

    def __repr__(self) -> str:
        return f"<Translation {self.public_id} {self.language} {self.status}>"


class TranslationVersion(db.Model):
    """An earlier version of a translation, kept when it is edited."""

    __tablename__ = "translation_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    translation_id: Mapped[int] = mapped_column(ForeignKey("translations.id", ondelete="CASCADE"), index=True)
    title: Mapped[str | None] = mapped_column(String(LIMITS["title"]))
    body_text: Mapped[str] = mapped_column(Text)
    # When this version stopped being current, and who replaced it (NULL: the author).
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("moderators.id"))


class AuthorTranslationStatus(StrEnum):
    WAITING = "waiting"  # written by the author, waiting for the team's check
    RETURNED = "returned"  # the team sent it back to the author with a reason


class AuthorTranslation(db.Model):
    """A translation the author wrote (with the letter, or later from its private page), waiting for
    the team's check: never public, and no public query reads this table. Published by a moderator,
    its words become the letter's Translation into that language and this row goes (see
    author_translations.py); until then a public translation into that language stays as it is."""

    __tablename__ = "author_translations"
    __table_args__ = (
        CheckConstraint(enum_check("status", AuthorTranslationStatus), name="status"),
        CheckConstraint(enum_check("language", Language), name="language"),
        UniqueConstraint("letter_id", "language"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(2))
    title: Mapped[str | None] = mapped_column(String(LIMITS["title"]))
    body_text: Mapped[str] = mapped_column(Text)
    # Made from body_text by sanitize.text_to_html, like a letter's.
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=AuthorTranslationStatus.WAITING)
    # What it was made from (letter_translations.source_hash), so a later correction of the letter shows.
    source_hash: Mapped[str] = mapped_column(String(64))
    # The team's reason when they sent it back; shown to the author on the private page.
    team_reason: Mapped[str | None] = mapped_column(Text)
    # When the author last wrote it.
    written_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Bumped on every change, so a decision or an edit made on a stale page is refused.
    revision: Mapped[int] = mapped_column(Integer, default=1)

    letter: Mapped[Letter] = relationship()

    @property
    def direction(self) -> str:
        return Language(self.language).direction
