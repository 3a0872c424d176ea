"""Signed links for a letter's author and for co-signers: one salt per purpose, some expiring."""

from datetime import timedelta
from enum import StrEnum

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from . import letters, signatures
from .models import Letter, Signature


class Purpose(StrEnum):
    CONFIRM = "letter-confirm"  # proves the author reads the contact address
    MANAGE = "letter-manage"  # the author's private page: status and withdrawal
    SIGNATURE_CONFIRM = "signature-confirm"  # proves the co-signer reads the contact address
    SIGNATURE_MANAGE = "signature-manage"  # the co-signer's private page: status and withdrawal


MAX_AGE: dict[Purpose, timedelta | None] = {
    Purpose.CONFIRM: letters.CONFIRMATION_WINDOW,
    Purpose.MANAGE: None,  # as long as the letter exists
    Purpose.SIGNATURE_CONFIRM: letters.CONFIRMATION_WINDOW,
    Purpose.SIGNATURE_MANAGE: None,
}
SIGNATURE_PURPOSES = frozenset({Purpose.SIGNATURE_CONFIRM, Purpose.SIGNATURE_MANAGE})


class TokenError(Exception):
    pass


class TokenInvalid(TokenError):
    """Tampered, truncated, signed for another purpose, or for a letter that no longer exists."""


class TokenExpired(TokenError):
    pass


def _serializer(purpose: Purpose) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=str(purpose))


def make(purpose: Purpose, subject: Letter | Signature) -> str:
    if (purpose in SIGNATURE_PURPOSES) != isinstance(subject, Signature):
        raise ValueError(f"a {purpose} token is not for a {type(subject).__name__}")
    return _serializer(purpose).dumps(subject.public_id)


def _public_id(purpose: Purpose, token: str) -> str:
    max_age = MAX_AGE[purpose]
    try:
        public_id = _serializer(purpose).loads(token, max_age=max_age.total_seconds() if max_age else None)
    except SignatureExpired:
        raise TokenExpired(purpose) from None
    except BadSignature:
        raise TokenInvalid(purpose) from None
    if not isinstance(public_id, str):
        raise TokenInvalid(purpose)
    return public_id


def read(purpose: Purpose, token: str) -> Letter:
    """The letter a token was made for, or TokenInvalid / TokenExpired."""
    if purpose in SIGNATURE_PURPOSES:
        raise ValueError(f"{purpose} tokens name signatures; use read_signature")
    letter = letters.letter_by_public_id(_public_id(purpose, token))
    if letter is None:
        raise TokenInvalid(purpose)
    return letter


def read_signature(purpose: Purpose, token: str) -> Signature:
    """The signature a token was made for (a token for a letter never names one), or TokenError."""
    if purpose not in SIGNATURE_PURPOSES:
        raise ValueError(f"{purpose} tokens name letters; use read")
    signature = signatures.signature_by_public_id(_public_id(purpose, token))
    if signature is None:
        raise TokenInvalid(purpose)
    return signature
