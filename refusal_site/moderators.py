"""Moderator accounts: creation, roles, password hashing."""

from argon2 import PasswordHasher
from sqlalchemy.exc import IntegrityError

from . import audit
from .audit import AuditAction
from .extensions import db
from .models import Moderator, Role
from .storage import write_transaction

# argon2id with the library's defaults (RFC 9106 low-memory profile).
_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 12
# Hashing cost must not be chosen by the attacker: longer inputs are refused before hashing.
MAX_PASSWORD_LENGTH = 256


class ModeratorError(Exception):
    pass


class WeakPassword(ModeratorError):
    pass


class EmailTaken(ModeratorError):
    pass


def hash_password(password: str) -> str:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"a password has {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


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
