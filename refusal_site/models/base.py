"""What every table shares: times stored as UTC, the site's languages, the letter's states, the team's
roles, public ids, the limits of a letter's public fields, and CHECK constraints spelled from a StrEnum."""

import re
import secrets
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


# How long each public field of a letter may be once cleaned (a co-signature's name and descriptor, a
# translation's title and text, alike): the columns are sized by it, the forms state it, and the
# domain refuses anything longer, so the limit is said here alone.
LIMITS = {"display_name": 120, "descriptor": 200, "title": 200, "body_text": 20_000}


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


def enum_check(column: str, enum: type[StrEnum]) -> str:
    """A CHECK constraint's condition: `column` holds one of `enum`'s values."""
    values = ", ".join(f"'{member.value}'" for member in enum)
    return f"{column} IN ({values})"
