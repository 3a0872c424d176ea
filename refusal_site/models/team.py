"""The team: moderators and their recovery codes, the audit trail, and what admins keep for the
team (the stock reasons for refusing a letter, the delay notice, the digest's clock)."""

import secrets
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Language, Role, UTCDateTime, enum_check, utcnow
from .letters import Letter


class Moderator(db.Model):
    __tablename__ = "moderators"
    __table_args__ = (CheckConstraint(enum_check("role", Role), name="role"),)

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
    __table_args__ = (CheckConstraint(enum_check("language", Language), name="language"),)

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
