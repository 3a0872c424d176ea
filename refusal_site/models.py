"""The tables: letters and their translations, the public tally, moderators, the audit trail, the mail
waiting to go out, contact messages, the site's own pages and the stock reasons for refusing a letter."""

import re
import secrets
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, CheckConstraint, ColumnElement, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, and_, text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from .extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Store naive UTC, always hand back aware UTC (SQLite forgets time zones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use datetime.now(UTC)")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Language(StrEnum):
    HE = "he"
    AR = "ar"
    EN = "en"

    @property
    def direction(self) -> str:
        return "ltr" if self is Language.EN else "rtl"


class LetterStatus(StrEnum):
    UNCONFIRMED = "unconfirmed"  # submitted, the author has not confirmed by mail yet
    PENDING = "pending"  # confirmed, waiting for a moderator
    SCHEDULED = "scheduled"  # approved, embargoed until scheduled_at, then published by itself
    PUBLISHED = "published"  # public and counted
    REJECTED = "rejected"  # a moderator declined it
    WITHDRAWN = "withdrawn"  # the author took it back
    UNPUBLISHED = "unpublished"  # was public, a moderator took it down
    PAUSED = "paused"  # was public, hidden for now by its author or an admin; comes back with its date


class Role(StrEnum):
    MODERATOR = "moderator"
    ADMIN = "admin"
    # Writes and edits translations of published letters; decides nothing and sees no contact address.
    TRANSLATOR = "translator"


def new_public_id() -> str:
    """An unguessable id for URLs: 96 random bits, URL-safe."""
    return secrets.token_urlsafe(12)


# What new_public_id() makes, with room to spare; anything else names no row (and NUL bytes never
# reach PostgreSQL).
_PUBLIC_ID = re.compile(r"[A-Za-z0-9_-]{8,32}")


def looks_like_public_id(value: str) -> bool:
    """Whether `value` has the shape of a public id, so it is worth looking up."""
    return bool(_PUBLIC_ID.fullmatch(value))


def _enum_check(column: str, enum: type[StrEnum]) -> str:
    values = ", ".join(f"'{member.value}'" for member in enum)
    return f"{column} IN ({values})"


class Letter(db.Model):
    __tablename__ = "letters"
    __table_args__ = (
        CheckConstraint(_enum_check("status", LetterStatus), name="status"),
        CheckConstraint(_enum_check("language", Language), name="language"),
        # The public list, the feed and the API: published letters, newest first.
        Index("ix_letters_status_published_at", "status", "published_at"),
        Index("ix_letters_status_language_published_at", "status", "language", "published_at"),
        # The moderation queue (oldest confirmed first) and the embargo release.
        Index("ix_letters_status_confirmed_at", "status", "confirmed_at"),
        Index("ix_letters_status_scheduled_at", "status", "scheduled_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    display_name: Mapped[str] = mapped_column(String(120))
    descriptor: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2))
    title: Mapped[str | None] = mapped_column(String(200))
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
        CheckConstraint(_enum_check("status", SignatureStatus), name="status"),
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
    display_name: Mapped[str] = mapped_column(String(120))
    descriptor: Mapped[str | None] = mapped_column(String(200))
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


class LetterSearch(db.Model):
    """A published letter's search terms (search.py keeps one row per published letter, none for others):
    the terms of its title, of its people (its author's and published co-signers' names and
    descriptors) and of its text, each space-joined, distinct and sorted. Each database finds the
    rows holding given terms through machinery of its own, made by the migration alone (see
    SEARCH_MACHINERY): SQLite an FTS5 table over these columns, PostgreSQL a GIN index."""

    __tablename__ = "letter_search"
    __table_args__ = (
        # Filtering a query's matches by language or date reads this, not the rows: on SQLite a row
        # with its text's terms fills a page, and a common word has tens of thousands of matches.
        Index("ix_letter_search_letter_id_language_published_at", "letter_id", "language", "published_at"),
    )

    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), primary_key=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    language: Mapped[str] = mapped_column(String(2))
    title: Mapped[str] = mapped_column(Text, default="")
    people: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")


# The search index's objects that only one database has (migration 0016): no model describes them,
# so comparing the models with the database leaves them out.
SEARCH_MACHINERY = ("letter_search_fts", "ix_letter_search_terms")


def described_by_models(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic's include_name: whether a database object is one the models describe."""
    return not (name or "").startswith(SEARCH_MACHINERY)


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


class Moderator(db.Model):
    __tablename__ = "moderators"
    __table_args__ = (CheckConstraint(_enum_check("role", Role), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.MODERATOR)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Changed to revoke every session of this moderator at once (sign-out, password change).
    session_token: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_hex(32))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    # An admin may require one-time codes of a moderator; admins always need them.
    totp_required: Mapped[bool] = mapped_column(default=False)
    # The last one-time-code time step accepted, so a code cannot be used twice.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    # When the failures counted in failed_sign_ins began: older ones no longer count.
    failures_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Held (with the id) by each browser this moderator signed in with: a lock set by other browsers'
    # failures does not keep a known browser out. Changed to forget them all (moderators.py).
    known_browser_key: Mapped[str | None] = mapped_column(String(64))
    # Failures from known browsers since the last sign-in; they do not count toward the lock.
    known_browser_failures: Mapped[int] = mapped_column(Integer, default=0)
    # Whether this moderator gets the digest mail of what waits for moderation (digest.py).
    digest_mail: Mapped[bool] = mapped_column(default=True)

    def __repr__(self) -> str:
        return f"<Moderator {self.id} {self.role}>"

    @property
    def needs_totp(self) -> bool:
        return self.role == Role.ADMIN or self.totp_required

    # Flask-Login: the session carries the id and the current session token, so changing the
    # token ends every session of this moderator on the server side.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"


class RecoveryCode(db.Model):
    """One of a moderator's single-use codes for a lost authenticator, kept as a hash only."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    moderator_id: Mapped[int] = mapped_column(ForeignKey("moderators.id", ondelete="CASCADE"), index=True)
    # sha256 of the code (see moderators.py for why not argon2).
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set when the code is spent; a spent code is kept so the account page can say how many are left.
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LetterVersion(db.Model):
    """An earlier version of a letter's public fields, kept when a moderator corrects it."""

    __tablename__ = "letter_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), index=True)
    display_name: Mapped[str] = mapped_column(String(120))
    descriptor: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    body_text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    # When this version stopped being current, and who replaced it.
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("moderators.id"))


class AuditEvent(db.Model):
    """Append-only record of who did what to which letter, and why."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_letter_id_at", "letter_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(40), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("moderators.id"))
    # Who acted when it was not a moderator (audit.Actor: "author", "system", "cli", ...), else their role.
    actor_label: Mapped[str] = mapped_column(String(40))
    # Kept (as NULL) when an expired, never-confirmed letter is purged.
    letter_id: Mapped[int | None] = mapped_column(ForeignKey("letters.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(Text)
    hash_before: Mapped[str | None] = mapped_column(String(64))
    hash_after: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[Moderator | None] = relationship()
    letter: Mapped[Letter | None] = relationship()


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


class ModerationDigest(db.Model):
    """One row: when the last digest of waiting letters and signatures went to the moderators. Whoever
    holds its lock decides whether a digest is due, so with many senders one digest goes per window."""

    __tablename__ = "moderation_digest"
    __table_args__ = (CheckConstraint("id = 1", name="singleton"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DelayNotice(db.Model):
    """What authors of a waiting letter are told about how long moderators take, in one language, as
    an admin set it; a language without a row gets the default sentence."""

    __tablename__ = "delay_notices"
    __table_args__ = (CheckConstraint(_enum_check("language", Language), name="language"),)

    language: Mapped[str] = mapped_column(String(2), primary_key=True)
    text: Mapped[str] = mapped_column(String(300))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("moderators.id"))


class RejectionReason(db.Model):
    """A reason moderators can pick when they reject or take a letter down, which admins keep in each
    language: the author reads it in their letter's language. A retired reason is no longer offered
    but kept, as the record of what earlier authors were told."""

    __tablename__ = "rejection_reasons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text_he: Mapped[str] = mapped_column(String(500))
    text_ar: Mapped[str] = mapped_column(String(500))
    text_en: Mapped[str] = mapped_column(String(500))
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Bumped on every change, so an edit made on a stale form is refused.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("moderators.id"))

    def text(self, language: str) -> str:
        return getattr(self, f"text_{Language(language).value}")


class MailMark(db.Model):
    """One message anyone could cause by typing an address, kept for a day: what the per-recipient
    limit counts (see mail.py). A keyed hash stands for the address, which is never kept here."""

    __tablename__ = "mail_marks"
    __table_args__ = (Index("ix_mail_marks_recipient_key_queued_at", "recipient_key", "queued_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient_key: Mapped[str] = mapped_column(String(64))
    template: Mapped[str] = mapped_column(String(40))
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


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
        CheckConstraint(_enum_check("kind", ContactKind), name="kind"),
        CheckConstraint(_enum_check("language", Language), name="language"),
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
        CheckConstraint(_enum_check("slug", SitePageSlug), name="slug"),
        CheckConstraint(_enum_check("language", Language), name="language"),
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


class TranslationStatus(StrEnum):
    DRAFT = "draft"  # claimed or being written by the team, not yet shown to the author
    AWAITING_AUTHOR = "awaiting_author"  # mailed to the author, who approves it or sends it back
    RETURNED = "returned"  # the author sent it back with a comment
    APPROVED = "approved"  # public while its letter is published
    TO_REVIEW = "to_review"  # the original was corrected after approval: not public until approved again


class TranslationApproval(StrEnum):
    AUTHOR = "author"  # the author approved it (or wrote it)
    TEAM = "team"  # an admin published it after the author's address was erased: "not reviewed by the author"


class Translation(db.Model):
    """A letter's title and text in another of the site's languages, at most one per language. It
    speaks in the author's name, so it is public only once approved (by the author, or by an admin
    when the author can no longer be asked) and only while its letter is published."""

    __tablename__ = "translations"
    __table_args__ = (
        CheckConstraint(_enum_check("status", TranslationStatus), name="status"),
        CheckConstraint(_enum_check("language", Language), name="language"),
        CheckConstraint(f"approved_by IS NULL OR {_enum_check('approved_by', TranslationApproval)}", name="approved_by"),
        UniqueConstraint("letter_id", "language"),
        # The work queue: what is claimed, by whom.
        Index("ix_translations_claimed_by_id", "claimed_by_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(2))
    title: Mapped[str | None] = mapped_column(String(200))
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
    title: Mapped[str | None] = mapped_column(String(200))
    body_text: Mapped[str] = mapped_column(Text)
    # When this version stopped being current, and who replaced it (NULL: the author).
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("moderators.id"))


class PressPreview(db.Model):
    """A link for named journalists to an embargo's letters before their release (press_previews.py).
    Only a hash of its token is kept: the link itself is shown once, to the admin who made it."""

    __tablename__ = "press_previews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # sha256 of the link's token (256 random bits: a hash no one can reverse by trying likely ones).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The embargo it shows: the letters scheduled for this moment. It dies then (or when none is left).
    release_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Whom it was made for, as the admin wrote it: names and outlets. Never shown to the public.
    recipients: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("moderators.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When its embargo's last letter left it (press_previews.end_emptied): dead for good, even if
    # other letters are scheduled for that moment later.
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Times its page or PDF was opened (each also an audit row).
    openings: Mapped[int] = mapped_column(Integer, default=0)

    created_by: Mapped[Moderator | None] = relationship()
