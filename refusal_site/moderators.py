"""Moderator accounts: creation, sign-in with lockout, known browsers, one-time codes, roles, sessions."""

import hashlib
import secrets
from datetime import datetime, timedelta

import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from . import audit
from .audit import Actor, AuditAction
from .extensions import db
from .languages import SITE_NAME
from .models import AuditEvent, Moderator, RecoveryCode, Role, utcnow
from .storage import write_transaction

# argon2id with the library's defaults (RFC 9106 low-memory profile).
_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 12
# Hashing cost must not be chosen by the attacker: longer inputs are refused before hashing.
MAX_PASSWORD_LENGTH = 256
# After this many failures (passwords and codes alike) within LOCKOUT, an account is locked for LOCKOUT.
# Attempts during a lock are refused without counting, and the count starts again from zero when it
# ends: keeping someone else out costs MAX_FAILURES attempts per LOCKOUT, which the per-client
# SIGN_IN_RATE_LIMIT meters, instead of one attempt now and then locking the account for good.
# The lock slows guessing from everywhere to MAX_FAILURES per LOCKOUT, however many addresses the
# guesser has, but it does not keep out a known browser (one holding the key the account gives a
# browser at each complete sign-in): nobody can keep a moderator out of the browser they use. A known
# browser's failures are also counted apart, and after MAX_FAILURES of them with no sign-in between,
# the account forgets its known browsers, so a stolen key buys few guesses past a lock.
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
RECOVERY_CODES = 10
# Recovery codes are 16 characters of Crockford's base32 (80 random bits). Chosen by us, not by people,
# they cannot be found from a stolen hash by trying likely ones, so one sha256 keeps them as safe as
# argon2 would, and the code step finds a code with one indexed query instead of ten slow hashes.
_RECOVERY_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_RECOVERY_LENGTH = 16
# A dummy hash to verify against for unknown addresses, so timing does not reveal which exist.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class ModeratorError(Exception):
    pass


class WeakPassword(ModeratorError):
    pass


class EmailTaken(ModeratorError):
    pass


class SignInFailed(ModeratorError):
    """Wrong address or password, or the account is locked: deliberately not saying which, so that
    nobody learns from the answer which addresses have accounts."""


class CodeRejected(ModeratorError):
    """A wrong, expired or already used one-time code or recovery code."""


class AccountLocked(CodeRejected):
    """Too many failures: said only at the code step, to someone who already gave the password."""

    def __init__(self, until: datetime) -> None:
        super().__init__(f"locked until {until.isoformat()}")
        self.until = until


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


def create(
    email: str, password: str, *, role: Role = Role.MODERATOR, require_totp: bool = False, by: Moderator | Actor = Actor.CLI
) -> Moderator:
    """Create a moderator account; the e-mail address is unique (enforced by the database).

    With `require_totp`, the account must set up one-time codes at its first sign-in: required in the
    same transaction, so no account ever exists, even for a moment, that could sign in without them."""
    moderator = Moderator(email=email.strip().lower(), password_hash=hash_password(password), role=Role(role), totp_required=require_totp)
    try:
        with write_transaction():
            db.session.add(moderator)
            db.session.flush()
            audit.record(by, AuditAction.MODERATOR_CREATE, None, moderator_id=moderator.id, role=str(role))
            if require_totp:
                audit.record(by, AuditAction.MODERATOR_TOTP_REQUIRE, None, moderator_id=moderator.id, totp_required=str(True))
    except IntegrityError:
        raise EmailTaken(email) from None
    return moderator


def create_for_team(email: str, *, role: Role, require_totp: bool, by: Moderator) -> tuple[Moderator, str]:
    """An admin adds an account: created with a first password, which is handed back to be shown to
    the admin once (only its hash is kept)."""
    password = _temporary_password()
    return create(email, password, role=role, require_totp=require_totp, by=by), password


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


def authenticate(email: str, password: str, *, known_browser: str | None = None, now: datetime | None = None) -> Moderator:
    """Check address and password, with a lockout after repeated failures; every attempt is audited.
    `known_browser` is what the browser holds from an earlier sign-in (see known_browser_token), if anything.

    Every refusal is the same SignInFailed after the same work (one argon2 verification, one write), so
    neither the answer nor its time tells an unknown address from a real one, locked or not."""
    now = now or utcnow()
    found = by_email(email)
    usable = found is not None and found.is_active
    password_hash = found.password_hash if usable else _DUMMY_HASH
    # An unknown address asks below for a row that cannot exist (ids start at 1): the same query either way.
    found_id = found.id if usable else 0
    # Verified before the write transaction: the hash is slow, and on SQLite the write lock stops every writer.
    matches = _password_matches(password_hash, password) and usable
    with write_transaction():
        moderator = _locked_row(found_id)
        known = moderator is not None and _is_known_browser(moderator, known_browser)
        if moderator is None or not moderator.is_active:
            audit.record(Actor.ANONYMOUS, AuditAction.MODERATOR_SIGN_IN_FAILED, None)
        elif not known and _is_locked(moderator, now):
            audit.record(Actor.ANONYMOUS, AuditAction.MODERATOR_SIGN_IN_FAILED, None, moderator_id=moderator.id, locked=True)
        elif not matches or moderator.password_hash != password_hash:
            _count_failure(moderator, now, known_browser=known)
        else:
            if _hasher.check_needs_rehash(moderator.password_hash):
                moderator.password_hash = _hasher.hash(password)
            return moderator
    # Committed above: the failure counts even though we refuse.
    raise SignInFailed()


def _locked_row(moderator_id: int) -> Moderator | None:
    """The moderator's row, locked until the transaction ends, so concurrent failures all count."""
    return db.session.execute(
        select(Moderator).where(Moderator.id == moderator_id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none()


def _is_locked(moderator: Moderator, now: datetime) -> bool:
    """Whether a lock is in force; a lock that has ended is cleared, and the count starts again."""
    if moderator.locked_until is None:
        return False
    if moderator.locked_until > now:
        return True
    moderator.locked_until = None
    moderator.failed_sign_ins = 0
    moderator.failures_since = None
    return False


def _count_failure(moderator: Moderator, now: datetime, *, known_browser: bool, **details) -> None:
    """Count a failed password or code toward the lock, and audit it. A known browser's failure is also
    counted toward its own limit, and not toward a lock already in force (which it passes)."""
    if known_browser:
        moderator.known_browser_failures += 1
        if moderator.known_browser_failures >= MAX_FAILURES:
            _forget_known_browsers(moderator)
            audit.record(Actor.SYSTEM, AuditAction.MODERATOR_BROWSERS_FORGET, None, moderator_id=moderator.id)
        details["known_browser"] = True
    if not (known_browser and _is_locked(moderator, now)):
        if moderator.failures_since is None or now - moderator.failures_since > LOCKOUT:
            moderator.failures_since = now
            moderator.failed_sign_ins = 0
        moderator.failed_sign_ins += 1
        if moderator.failed_sign_ins >= MAX_FAILURES:
            moderator.locked_until = now + LOCKOUT
            audit.record(Actor.SYSTEM, AuditAction.MODERATOR_LOCKED, None, moderator_id=moderator.id, until=moderator.locked_until.isoformat())
    audit.record(Actor.ANONYMOUS, AuditAction.MODERATOR_SIGN_IN_FAILED, None, moderator_id=moderator.id, **details)


def complete_sign_in(moderator: Moderator, *, known_browser: str | None = None, now: datetime | None = None) -> Moderator:
    """Password (and code, when needed) accepted: reset the failure counts, audit the sign-in, and make
    sure the account has a known-browser key for this browser to keep (known_browser_token).

    A known browser that passed a lock leaves it in force: otherwise whoever set it would get
    MAX_FAILURES fresh guesses each time the moderator signs in."""
    now = now or utcnow()
    with write_transaction():
        moderator = _locked_row(moderator.id)
        moderator.known_browser_failures = 0
        if not (_is_known_browser(moderator, known_browser) and _is_locked(moderator, now)):
            moderator.failed_sign_ins, moderator.failures_since, moderator.locked_until = 0, None, None
        if moderator.known_browser_key is None:
            _forget_known_browsers(moderator)
        audit.record(moderator, AuditAction.MODERATOR_SIGN_IN, None)
    return moderator


def known_browser_token(moderator: Moderator) -> str:
    """What a browser keeps after a complete sign-in to be a known browser of this account."""
    return f"{moderator.id}:{moderator.known_browser_key}"


def _is_known_browser(moderator: Moderator, token: str | None) -> bool:
    if not token or moderator.known_browser_key is None:
        return False
    moderator_id, _, key = token.partition(":")
    # Bytes: compare_digest refuses str with characters outside ASCII, and a cookie may hold any.
    return moderator_id == str(moderator.id) and secrets.compare_digest(key.encode(), moderator.known_browser_key.encode())


def _forget_known_browsers(moderator: Moderator) -> None:
    """A new known-browser key: every browser that held the old one is an unknown browser again."""
    moderator.known_browser_key = secrets.token_hex(32)
    moderator.known_browser_failures = 0


def sign_out(moderator: Moderator) -> None:
    """End every session of this moderator, everywhere (a stolen cookie stops working too)."""
    with write_transaction():
        _rotate_sessions(moderator)
        audit.record(moderator, AuditAction.MODERATOR_SIGN_OUT, None)


def change_password(moderator: Moderator, current: str, new: str) -> Moderator:
    """Replace the password, end every other session and forget the known browsers (this one is
    given the new key: known_browser_token)."""
    if not _password_matches(moderator.password_hash, current):
        raise SignInFailed()
    new_hash = hash_password(new)
    with write_transaction():
        moderator = db.session.get(Moderator, moderator.id)
        moderator.password_hash = new_hash
        _rotate_sessions(moderator)
        # Whoever signed in with the old password is not let past a lock by the browser they used.
        _forget_known_browsers(moderator)
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
    """The authenticator app's entry, named after the site in the language the moderator reads."""
    return pyotp.TOTP(secret).provisioning_uri(name=moderator.email, issuer_name=str(SITE_NAME))


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


def totp_qr_svg(moderator: Moderator, secret: str) -> str:
    """The provisioning link as a QR code, an SVG data: URI made here (no script, no other site)."""
    return segno.make(totp_uri(moderator, secret), error="m").svg_data_uri(scale=4, border=4, dark="#000", light="#fff")


def enable_totp(moderator: Moderator, secret: str, code: str, *, now: datetime | None = None) -> tuple[Moderator, list[str]]:
    """Turn on one-time codes once the moderator proves their app shows the right code; hand back
    new recovery codes, the only time they exist in the clear."""
    step = _accepted_step(secret, code, None, now or utcnow())
    with write_transaction():
        moderator = db.session.get(Moderator, moderator.id)
        moderator.totp_secret = secret
        moderator.totp_last_step = step
        recovery_codes = _replace_recovery_codes(moderator)
        audit.record(moderator, AuditAction.MODERATOR_TOTP_ENABLE, None, recovery_codes=len(recovery_codes))
    return moderator, recovery_codes


def verify_code(moderator: Moderator, code: str, *, known_browser: str | None = None, now: datetime | None = None) -> None:
    """Accept a one-time code once (the same code, or an older one, is refused afterwards), or a
    recovery code once. A wrong code counts against the lockout as a wrong password does, and a
    known browser passes a lock as it does at the password."""
    now = now or utcnow()
    with write_transaction():
        fresh = _locked_row(moderator.id)
        known = fresh is not None and _is_known_browser(fresh, known_browser)
        if fresh is None or not fresh.is_active:
            failure: CodeRejected = CodeRejected("no such moderator")
        elif not known and _is_locked(fresh, now):
            audit.record(Actor.ANONYMOUS, AuditAction.MODERATOR_SIGN_IN_FAILED, None, moderator_id=fresh.id, step="code", locked=True)
            failure = AccountLocked(fresh.locked_until)
        else:
            try:
                if _looks_like_recovery_code(code):
                    _spend_recovery_code(fresh, code, now)
                else:
                    fresh.totp_last_step = _accepted_step(fresh.totp_secret or "", code, fresh.totp_last_step, now)
                return
            except CodeRejected as rejected:
                failure = rejected
                _count_failure(fresh, now, known_browser=known, step="code")
    # Committed above: the failure counts even though we refuse.
    raise failure


def _recovery_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _normalized_recovery_code(code: str) -> str:
    """Lower case without spaces or hyphens, with Crockford's look-alikes (o, i, l) read as digits."""
    text = "".join(code.split()).replace("-", "").lower()
    return text.translate(str.maketrans("oil", "011"))


def _looks_like_recovery_code(code: str) -> bool:
    return len(_normalized_recovery_code(code)) == _RECOVERY_LENGTH


def _spend_recovery_code(moderator: Moderator, code: str, now: datetime) -> None:
    found = db.session.execute(
        select(RecoveryCode).where(
            RecoveryCode.moderator_id == moderator.id,
            RecoveryCode.code_hash == _recovery_hash(_normalized_recovery_code(code)),
            RecoveryCode.used_at.is_(None),
        )
    ).scalar_one_or_none()
    if found is None:
        raise CodeRejected("wrong or used recovery code")
    found.used_at = now
    db.session.flush()
    audit.record(moderator, AuditAction.MODERATOR_RECOVERY_CODE_USE, None, left=recovery_codes_left(moderator))


def recovery_codes_left(moderator: Moderator) -> int:
    """How many of the moderator's recovery codes are still unused."""
    return db.session.execute(
        select(func.count()).select_from(RecoveryCode).where(RecoveryCode.moderator_id == moderator.id, RecoveryCode.used_at.is_(None))
    ).scalar_one()


def _replace_recovery_codes(moderator: Moderator) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.moderator_id == moderator.id))
    codes = ["".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH)) for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(moderator_id=moderator.id, code_hash=_recovery_hash(code)) for code in codes)
    return ["-".join(code[i : i + 4] for i in range(0, _RECOVERY_LENGTH, 4)) for code in codes]


def renew_recovery_codes(moderator: Moderator) -> list[str]:
    """Replace every recovery code of the moderator (the old ones stop working) and hand back the new ones."""
    if not moderator.totp_secret:
        raise CodeRejected("one-time codes are off")
    with write_transaction():
        moderator = db.session.get(Moderator, moderator.id)
        codes = _replace_recovery_codes(moderator)
        audit.record(moderator, AuditAction.MODERATOR_RECOVERY_CODES_RENEW, None, recovery_codes=len(codes))
    return codes


# --- the team (admins) -------------------------------------------------------------------------


def team() -> list[Moderator]:
    return list(db.session.execute(select(Moderator).order_by(Moderator.email)).scalars())


def _administer(target: Moderator, by: Moderator | str, action: AuditAction, **changes) -> Moderator:
    with write_transaction():
        target = db.session.get(Moderator, target.id)
        for field, value in changes.items():
            setattr(target, field, value)
        if "is_active" in changes or "role" in changes:
            _rotate_sessions(target)
        if "totp_secret" in changes:
            db.session.execute(delete(RecoveryCode).where(RecoveryCode.moderator_id == target.id))
        audit.record(by, action, None, moderator_id=target.id, **{k: str(v) for k, v in changes.items() if k != "totp_secret"})
    return target


def deactivate(target: Moderator, *, by: Moderator) -> Moderator:
    return _administer(target, by, AuditAction.MODERATOR_DEACTIVATE, is_active=False)


def activate(target: Moderator, *, by: Moderator) -> Moderator:
    return _administer(target, by, AuditAction.MODERATOR_ACTIVATE, is_active=True, failed_sign_ins=0, failures_since=None, locked_until=None)


def set_role(target: Moderator, role: Role, *, by: Moderator) -> Moderator:
    return _administer(target, by, AuditAction.MODERATOR_ROLE_CHANGE, role=Role(role).value)


def require_totp(target: Moderator, required: bool, *, by: Moderator) -> Moderator:
    return _administer(target, by, AuditAction.MODERATOR_TOTP_REQUIRE, totp_required=required)


def reset_totp(target: Moderator, *, by: Moderator | str) -> Moderator:
    """Forget a lost authenticator and its recovery codes: the moderator sets up a new one at the next sign-in."""
    return _administer(target, by, AuditAction.MODERATOR_TOTP_RESET, totp_secret=None, totp_last_step=None)


def recent_events(moderator: Moderator, limit: int = 10) -> list[AuditEvent]:
    return list(
        db.session.execute(
            select(AuditEvent).where(AuditEvent.actor_id == moderator.id).order_by(AuditEvent.id.desc()).limit(limit)
        ).scalars()
    )


def _temporary_password() -> str:
    """A first password for a new account, shown once to the admin who made it."""
    return secrets.token_urlsafe(15)
