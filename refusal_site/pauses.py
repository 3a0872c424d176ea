"""The safety pause: a published letter hidden for now, and shown again later with its original date.

A refuser who is being harassed hides their letter at once from their private page and brings it
back when it is safe; withdrawal stays the final step. An admin can hide one letter or many at once
in an emergency, with a reason on the record; a letter the team hid is shown again by the team only.
While paused a letter is off every public surface, the count and future PDFs, exactly as if it had
been withdrawn (published.taken_away tells every machine's PDF cache).
"""

from . import audit, letters, sanitize, tally
from .audit import AuditAction
from .models import Letter, LetterStatus, Moderator
from .storage import write_transaction

AUTHOR = "author"
TEAM = "team"


class NotYours(letters.LetterError):
    """Whoever hid a letter shows it again: the team does not show what an author hid for their own
    safety, and an author does not show what the team hid."""


def pause(letter: Letter, *, by: Moderator | str = AUTHOR, reason: str | None = None, expected_revision: int | None = None) -> Letter:
    """Hide a published letter for now (by its author, or with a reason by an admin `by`)."""
    reason = sanitize.clean_text(reason) if reason else None
    with write_transaction():
        tally.lock()
        letter = letters.move(letter, LetterStatus.PAUSED, expected_revision)
        _hidden(letter, by, reason)
    return letter


def _hidden(letter: Letter, by: Moderator | str, reason: str | None) -> None:
    letter.paused_by = AUTHOR if by == AUTHOR else TEAM
    audit.record(by, AuditAction.LETTER_PAUSE, letter, reason=reason)
    tally.count_letter(letter, -1)


def resume(letter: Letter, *, by: Moderator | str = AUTHOR, expected_revision: int | None = None) -> Letter:
    """Show a paused letter again, with its original publication date, and count it again, if `by` is
    who hid it (the author, or an admin for the team): NotYours otherwise."""
    with write_transaction():
        tally.lock()
        current = letters.lock(letter, expected_revision)
        if current.status != LetterStatus.PAUSED:
            # Not a way round moderation: a pending letter, or one the moderators took down, is not
            # "shown again" by its author (TRANSITIONS alone would let both become public).
            raise letters.IllegalTransition(current, LetterStatus.PUBLISHED)
        if current.paused_by != (AUTHOR if by == AUTHOR else TEAM):
            raise NotYours(current.public_id)
        letter = letters.move(current, LetterStatus.PUBLISHED, expected_revision)
        letter.paused_by = None
        audit.record(by, AuditAction.LETTER_RESUME, letter)
        tally.count_letter(letter, +1)
    return letter


def hide_many(public_ids: list[str], *, by: Moderator, reason: str) -> tuple[list[Letter], list[str]]:
    """An admin's emergency hide: every published letter among `public_ids`, in one transaction, each
    with the reason on the record. Returns the letters hidden and the ids that named no published
    letter (unknown, or not public: nothing to hide)."""
    reason = sanitize.clean_text(reason)
    hidden, skipped = [], []
    with write_transaction():
        tally.lock()
        for public_id in dict.fromkeys(public_ids):
            letter = letters.letter_by_public_id(public_id)
            if letter is None or letter.status != LetterStatus.PUBLISHED:
                skipped.append(public_id)
                continue
            letter = letters.move(letter, LetterStatus.PAUSED)
            _hidden(letter, by, reason)
            hidden.append(letter)
    return hidden, skipped
