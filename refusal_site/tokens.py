"""Signed links for a letter's author and for co-signers: one salt per purpose, some expiring.

A leaf: it signs a public id (and a letter's link_version) and reads them back; the caller looks the
letter or signature up and refuses a link made for an older version (one mailed to an address the
author has since corrected)."""

from datetime import timedelta
from enum import StrEnum

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .models import Letter, Signature

# An unconfirmed letter or signature is deleted after this long (letters, signatures); its
# confirmation link dies with it.
CONFIRMATION_WINDOW = timedelta(days=7)


class Purpose(StrEnum):
    CONFIRM = "letter-confirm"  # proves the author reads the contact address
    MANAGE = "letter-manage"  # the author's private page: status and withdrawal
    SIGNATURE_CONFIRM = "signature-confirm"  # proves the co-signer reads the contact address
    SIGNATURE_MANAGE = "signature-manage"  # the co-signer's private page: status and withdrawal


MAX_AGE: dict[Purpose, timedelta | None] = {
    Purpose.CONFIRM: CONFIRMATION_WINDOW,
    Purpose.MANAGE: None,  # as long as the letter exists
    Purpose.SIGNATURE_CONFIRM: CONFIRMATION_WINDOW,
    Purpose.SIGNATURE_MANAGE: None,
}
SIGNATURE_PURPOSES = frozenset({Purpose.SIGNATURE_CONFIRM, Purpose.SIGNATURE_MANAGE})


class TokenError(Exception):
    pass


class TokenInvalid(TokenError):
    """Tampered, truncated, signed for another purpose, or (raised by the caller) for a letter that no longer exists."""


class TokenExpired(TokenError):
    pass


def _serializer(purpose: Purpose) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=str(purpose))


def make(purpose: Purpose, subject: Letter | Signature) -> str:
    if (purpose in SIGNATURE_PURPOSES) != isinstance(subject, Signature):
        raise ValueError(f"a {purpose} token is not for a {type(subject).__name__}")
    if isinstance(subject, Signature) or not subject.link_version:
        return _serializer(purpose).dumps(subject.public_id)
    return _serializer(purpose).dumps([subject.public_id, subject.link_version])


def read(purpose: Purpose, token: str) -> tuple[str, int]:
    """The public id a token was made for and the link version it carries (0 for a signature's, and
    for a letter's made before any correction of its address), or TokenInvalid / TokenExpired."""
    max_age = MAX_AGE[purpose]
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age.total_seconds() if max_age else None)
    except SignatureExpired:
        raise TokenExpired(purpose) from None
    except BadSignature:
        raise TokenInvalid(purpose) from None
    if isinstance(payload, str):
        return payload, 0
    match payload:
        case [str(public_id), int(version)] if version > 0 and purpose not in SIGNATURE_PURPOSES:
            return public_id, version
    raise TokenInvalid(purpose)
