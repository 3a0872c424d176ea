"""Signed links for a letter's author: one salt per purpose, some expiring."""

from datetime import timedelta
from enum import StrEnum

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from . import letters
from .models import Letter


class Purpose(StrEnum):
    CONFIRM = "letter-confirm"  # proves the author reads the contact address
    MANAGE = "letter-manage"  # the author's private page: status and withdrawal


MAX_AGE: dict[Purpose, timedelta | None] = {
    Purpose.CONFIRM: letters.CONFIRMATION_WINDOW,
    Purpose.MANAGE: None,  # as long as the letter exists
}


class TokenError(Exception):
    pass


class TokenInvalid(TokenError):
    """Tampered, truncated, signed for another purpose, or for a letter that no longer exists."""


class TokenExpired(TokenError):
    pass


def _serializer(purpose: Purpose) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=str(purpose))


def make(purpose: Purpose, letter: Letter) -> str:
    return _serializer(purpose).dumps(letter.public_id)


def read(purpose: Purpose, token: str) -> Letter:
    """The letter a token was made for, or TokenInvalid / TokenExpired."""
    max_age = MAX_AGE[purpose]
    try:
        public_id = _serializer(purpose).loads(token, max_age=max_age.total_seconds() if max_age else None)
    except SignatureExpired:
        raise TokenExpired(purpose) from None
    except BadSignature:
        raise TokenInvalid(purpose) from None
    letter = letters.letter_by_public_id(public_id) if isinstance(public_id, str) else None
    if letter is None:
        raise TokenInvalid(purpose)
    return letter
