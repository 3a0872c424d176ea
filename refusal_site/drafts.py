"""What the author of a letter may still change before confirming it: the contact address (a typo
would otherwise lose the letter) and the text. A new address gets a new confirmation mail, and the
links mailed to the old one stop working (the letter's link_version moves, see tokens.py).
"""

from . import audit, author_translations, notify
from .audit import Actor, AuditAction
from .letters import CONFIRMATION_WINDOW, ConfirmationExpired, IllegalTransition, NothingChanged, lock, public_fields
from .models import Letter, LetterStatus, utcnow
from .storage import write_transaction


def correct_address(letter: Letter, contact_email: str) -> Letter:
    """Give an unconfirmed letter a new contact address: mail it a new confirmation and make the
    links sent to the old one die. Refused once confirmed (IllegalTransition) or expired."""
    contact_email = contact_email.strip()
    with write_transaction():
        letter = _unconfirmed(letter)
        if contact_email == letter.contact_email:
            raise NothingChanged(letter.public_id)
        letter.contact_email = contact_email
        letter.link_version += 1
        letter.revision += 1
        # The audit trail keeps that it changed, never the addresses.
        audit.record(Actor.AUTHOR, AuditAction.LETTER_CORRECT_ADDRESS, letter)
        notify.queue_links(letter)
    return letter


# correct_text() without a second text: the translation given with the letter stays as it is.
KEEP = object()


def correct_text(letter: Letter, *, display_name: str, descriptor: str | None, title: str | None, body_text: str,
                 second_text: "author_translations.SecondText | None | object" = KEEP) -> Letter:  # fmt: skip
    """Replace an unconfirmed letter's public fields with the author's corrected ones, cleaned as
    submit() cleans them (no moderator has seen it yet, so no earlier version is kept), and the
    translation given with it by `second_text` (None: no translation any more). A translation kept
    as it was while the letter's text changed stays marked as made from the earlier text."""
    fields = public_fields(display_name, descriptor, letter.language, title, body_text)
    with write_transaction():
        letter = _unconfirmed(letter)
        old_hash = letter.content_hash
        for name, value in fields.items():
            setattr(letter, name, value)
        # Made from the corrected text, so not marked as made from an earlier one.
        translation_changed = second_text is not KEEP and author_translations.replace_in_submission(letter, second_text)
        if letter.content_hash == old_hash and not translation_changed:
            raise NothingChanged(letter.public_id)  # nothing stored: the transaction rolls back
        letter.revision += 1
        details = {"translation": second_text.language if second_text else None} if translation_changed else {}
        audit.record(Actor.AUTHOR, AuditAction.LETTER_CORRECT_TEXT, letter, hash_before=old_hash, hash_after=letter.content_hash, **details)
    return letter


def _unconfirmed(letter: Letter) -> Letter:
    """The letter under a write lock, still unconfirmed and within its confirmation window."""
    letter = lock(letter)
    if letter.status != LetterStatus.UNCONFIRMED:
        raise IllegalTransition(letter, LetterStatus(letter.status))
    if letter.submitted_at < utcnow() - CONFIRMATION_WINDOW:
        raise ConfirmationExpired(letter.public_id)
    return letter
