"""Moderator accounts: creation, sign-in with lockout, one-time codes, roles, sessions."""

import secrets
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from . import audit
from .audit import AuditAction
from .extensions import db
from .models import AuditEvent, Moderator, Role, utcnow
from .storage import write_transaction

# argon2id with the library's defaults (RFC 9106 low-memory profile).
_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 12
# Hashing cost must not be chosen by the attacker: longer inputs are refused before hashing.
MAX_PASSWORD_LENGTH = 256
# After this many failures in a row an account is locked for LOCKOUT; each failure past it extends it.
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
TOTP_ISSUER = "Public refusers"
# A dummy hash to verify against for unknown addresses, so timing does not reveal which exist.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class ModeratorError(Exception):
    pass


class WeakPassword(ModeratorError):
    pass


class EmailTaken(ModeratorError):
    pass


class SignInFailed(ModeratorError):
    """Wrong address or password (deliberately not saying which)."""


class AccountLocked(ModeratorError):
    def __init__(self, until: datetime) -> None:
        super().__init__(f"locked until {until.isoformat()}")
        self.until = until


class CodeRejected(ModeratorError):
    """A wrong, expired or already used one-time code."""


def hash_password(password: str) -> str:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"a password has {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def _password_matches(password_hash: str, password: str) -> bool:
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create(email: str, password: str, *, role: Role = Role.MODERATOR, by: Moderator | str = "cli") -> Moderator:
    """Create a moderator account; the e-mail address is unique (enforced by the database)."""
    moderator = Moderator(email=email.strip().lower(), password_hash=hash_password(password), role=Role(role))
    try:
        with write_transaction():
            db.session.add(moderator)
            db.session.flush()
            audit.record(by, AuditAction.MODERATOR_CREATE, None, moderator_id=moderator.id, role=str(role))
    except IntegrityError:
        raise EmailTaken(email) from None
    return moderator


def by_email(email: str) -> Moderator | None:
    return db.session.execute(select(Moderator).where(Moderator.email == email.strip().lower())).scalar_one_or_none()


def by_session_id(session_id: str) -> Moderator | None:
    """The moderator a session belongs to, if that session has not been revoked."""
    moderator_id, _, token = session_id.partition(":")
    if not moderator_id.isdigit() or not token:
        return None
    moderator = db.session.get(Moderator, int(moderator_id))
    if moderator is None or not moderator.is_active or not secrets.compare_digest(moderator.session_token, token):
        return None
    return moderator


def authenticate(email: str, password: str, *, now: datetime | None = None) -> Moderator:
    """Check address and password, with a lockout after repeated failures; every attempt is audited."""
    now = now or utcnow()
    with write_transaction():
        moderator = by_email(email)
        if moderator is None or not moderator.is_active:
            _password_matches(_DUMMY_HASH, password)  # same cost as a real check
            audit.record("anonymous", AuditAction.MODERATOR_SIGN_IN_FAILED, None)
            failure: ModeratorError = SignInFailed()
        elif moderator.locked_until is not None and moderator.locked_until > now:
            audit.record("anonymous", AuditAction.MODERATOR_SIGN_IN_FAILED, None, moderator_id=moderator.id, locked=True)
            failure = AccountLocked(moderator.locked_until)
        elif not _password_matches(moderator.password_hash, password):
            moderator.failed_sign_ins += 1
            audit.record("anonymous", AuditAction.MODERATOR_SIGN_IN_FAILED, None, moderator_id=moderator.id)
            failure = SignInFailed()
            if moderator.failed_sign_ins >= MAX_FAILURES:
                moderator.locked_until = now + LOCKOUT
                audit.record("system", AuditAction.MODERATOR_LOCKED, None, moderator_id=moderator.id, until=moderator.locked_until.isoformat())
                failure = AccountLocked(moderator.locked_until)
        else:
            if _hasher.check_needs_rehash(moderator.password_hash):
                moderator.password_hash = _hasher.hash(password)
            return moderator
    # Committed above: the failure counts even though we refuse.
    raise failure


def complete_sign_in(moderator: Moderator) -> Moderator:
    """Password (and code, when needed) accepted: reset the failure count, audit the sign-in."""
    with write_transaction():
        db.session.execute(update(Moderator).where(Moderator.id == moderator.id).values(failed_sign_ins=0, locked_until=None))
        audit.record(moderator, AuditAction.MODERATOR_SIGN_IN, None)
    return db.session.get(Moderator, moderator.id)


def sign_out(moderator: Moderator) -> None:
    """End every session of this moderator, everywhere (a stolen cookie stops working too)."""
    with write_transaction():
        _rotate_sessions(moderator)
        audit.record(moderator, AuditAction.MODERATOR_SIGN_OUT, None)


def change_password(moderator: Moderator, current: str, new: str) -> Moderator:
    """Replace the password and end every other session."""
    if not _password_matches(moderator.password_hash, current):
        raise SignInFailed()
    new_hash = hash_password(new)
    with write_transaction():
        moderator = db.session.get(Moderator, moderator.id)
        moderator.password_hash = new_hash
        _rotate_sessions(moderator)
        audit.record(moderator, AuditAction.MODERATOR_PASSWORD_CHANGE, None)
    return moderator


def _rotate_sessions(moderator: Moderator) -> None:
    db.session.execute(
        update(Moderator).where(Moderator.id == moderator.id).values(session_token=secrets.token_hex(32))
    )


# --- one-time codes ----------------------------------------------------------------------------


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(moderator: Moderator, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=moderator.email, issuer_name=TOTP_ISSUER)


def _accepted_step(secret: str, code: str, last_step: int | None, now: datetime) -> int:
    """The time step a code belongs to (this one or a neighbour), if it was not used before."""
    code = "".join(code.split())
    totp = pyotp.TOTP(secret)
    for offset in (0, -1, 1):
        moment = now + timedelta(seconds=offset * totp.interval)
        if secrets.compare_digest(totp.at(moment), code):
            step = int(moment.timestamp()) // totp.interval
            if last_step is not None and step <= last_step:
                raise CodeRejected("already used")
            return step
    raise CodeRejected("wrong code")


def enable_totp(moderator: Moderator, secret: str, code: str, *, now: datetime | None = None) -> Moderator:
    """Turn on one-time codes once the moderator proves their app shows the right code."""
    step = _accepted_step(secret, code, None, now or utcnow())
    with write_transaction():
        moderator = db.session.get(Moderator, moderator.id)
        moderator.totp_secret = secret
        moderator.totp_last_step = step
        audit.record(moderator, AuditAction.MODERATOR_TOTP_ENABLE, None)
    return moderator


def verify_totp(moderator: Moderator, code: str, *, now: datetime | None = None) -> None:
    """Accept a one-time code once: the same code (or an older one) is refused afterwards."""
    with write_transaction():
        fresh = db.session.execute(select(Moderator).where(Moderator.id == moderator.id).with_for_update()).scalar_one()
        try:
            fresh.totp_last_step = _accepted_step(fresh.totp_secret or "", code, fresh.totp_last_step, now or utcnow())
        except CodeRejected:
            fresh.failed_sign_ins += 1
            audit.record("anonymous", AuditAction.MODERATOR_SIGN_IN_FAILED, None, moderator_id=fresh.id, step="code")
            if fresh.failed_sign_ins >= MAX_FAILURES:
                fresh.locked_until = utcnow() + LOCKOUT
            db.session.commit()
            raise


# --- the team (admins) -------------------------------------------------------------------------


def team() -> list[Moderator]:
    return list(db.session.execute(select(Moderator).order_by(Moderator.email)).scalars())


def _administer(target: Moderator, by: Moderator, action: AuditAction, **changes) -> Moderator:
    with write_transaction():
        target = db.session.get(Moderator, target.id)
        for field, value in changes.items():
            setattr(target, field, value)
        if "is_active" in changes or "role" in changes:
            _rotate_sessions(target)
        audit.record(by, action, None, moderator_id=target.id, **{k: str(v) for k, v in changes.items() if k != "totp_secret"})
    return target


def deactivate(target: Moderator, *, by: Moderator) -> Moderator:
    return _administer(target, by, AuditAction.MODERATOR_DEACTIVATE, is_active=False)


def activate(target: Moderator, *, by: Moderator) -> Moderator:
    return _administer(target, by, AuditAction.MODERATOR_ACTIVATE, is_active=True, failed_sign_ins=0, locked_until=None)


def set_role(target: Moderator, role: Role, *, by: Moderator) -> Moderator:
    return _administer(target, by, AuditAction.MODERATOR_ROLE_CHANGE, role=Role(role).value)


def require_totp(target: Moderator, required: bool, *, by: Moderator) -> Moderator:
    return _administer(target, by, AuditAction.MODERATOR_TOTP_REQUIRE, totp_required=required)


def reset_totp(target: Moderator, *, by: Moderator) -> Moderator:
    """Forget a lost authenticator: the moderator sets up a new one at the next sign-in."""
    return _administer(target, by, AuditAction.MODERATOR_TOTP_RESET, totp_secret=None, totp_last_step=None)


def recent_events(moderator: Moderator, limit: int = 10) -> list[AuditEvent]:
    return list(
        db.session.execute(
            select(AuditEvent).where(AuditEvent.actor_id == moderator.id).order_by(AuditEvent.id.desc()).limit(limit)
        ).scalars()
    )


def temporary_password() -> str:
    """A first password for a new account, shown once to the admin who made it."""
    return secrets.token_urlsafe(15)
