"""The safety pause: a published letter or co-signature hidden for now, and shown again later with
its original date (and a signature in its original place among the signers).

A refuser or co-signer who is being harassed hides their letter or signature at once from their
private page and brings it back when it is safe; withdrawal stays the final step. An admin can hide
one or many at once in an emergency, with a reason on the record; what the team hid is shown again
by the team only, what its author hid by its author only. While paused a letter or signature is off
every public surface, the count and future PDFs, exactly as if it had been withdrawn
(published.taken_away tells every machine's PDF cache). A signature keeps its own pause while its
whole letter is paused.

Whoever the team hides or shows again is told by mail (notify.queue_team_change), once per action
however many of theirs it touched; an author or signer acting on their own is not told what they did.
"""

from . import audit, letters, notify, sanitize, search, signatures, tally
from .audit import Actor, AuditAction
from .models import Letter, LetterStatus, Moderator, Signature, SignatureStatus, utcnow
from .signatures import BulkResult
from .storage import write_transaction

AUTHOR = Actor.AUTHOR.value  # whoever a letter or signature belongs to (paused_by holds it), and a letter's author acting
SIGNER = Actor.SIGNER.value  # a co-signer acting on their own signature, as the audit trail names them
TEAM = "team"


class NotYours(letters.LetterError):
    """Whoever hid a letter or signature shows it again: the team does not show what an author or
    signer hid for their own safety, and they do not show what the team hid."""


def hider(by: Moderator | str) -> str:
    """Who `by` is to a pause: its AUTHOR (a letter's author, a signature's signer), or the TEAM."""
    return AUTHOR if by in (AUTHOR, SIGNER) else TEAM


def pause(letter: Letter, *, by: Moderator | str = AUTHOR, reason: str | None = None, expected_revision: int | None = None) -> Letter:
    """Hide a published letter for now (by its author, or with a reason by an admin `by`)."""
    reason = sanitize.clean_text(reason) if reason else None
    with write_transaction():
        tally.lock()
        letter = letters.move(letter, LetterStatus.PAUSED, expected_revision)
        _hidden(letter, by, reason)
        if letter.paused_by == TEAM:
            notify.queue_team_change("letter_hidden", [letter], reason)
    return letter


def _hidden(letter: Letter, by: Moderator | str, reason: str | None) -> None:
    letter.paused_by = hider(by)
    audit.record(by, AuditAction.LETTER_PAUSE, letter, reason=reason)
    tally.count_letter(letter, -1)
    search.reindex_letter(letter)


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
        if current.paused_by != hider(by):
            raise NotYours(current.public_id)
        letter = letters.move(current, LetterStatus.PUBLISHED, expected_revision)
        letter.paused_by = None
        audit.record(by, AuditAction.LETTER_RESUME, letter)
        tally.count_letter(letter, +1)
        search.reindex_letter(letter)
        if hider(by) == TEAM:
            notify.queue_team_change("letter_shown", [letter])
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
        notify.queue_team_change("letter_hidden", hidden, reason)
    return hidden, skipped


# --- co-signatures ----------------------------------------------------------------------------------


def pause_signature(
    signature: Signature, *, by: Moderator | str = SIGNER, reason: str | None = None, expected_revision: int | None = None
) -> Signature:
    """Hide a published co-signature for now (by its signer, or with a reason by an admin `by`): off its
    letter's list, the count and future PDFs. NothingChanged if it is hidden already (the same button
    pressed twice), StaleLetter if it changed since `expected_revision`."""
    reason = sanitize.clean_text(reason) if reason else None
    with write_transaction():
        tally.lock()
        letter, signature = _lock_signature(signature, SignatureStatus.PAUSED, expected_revision)
        _hide_signature(letter, signature, by, reason)
        signatures.count_published(letter, -1)
        if signature.paused_by == TEAM:
            notify.queue_team_change("signature_hidden", [signature], reason)
    return signature


def resume_signature(signature: Signature, *, by: Moderator | str = SIGNER, expected_revision: int | None = None) -> Signature:
    """Show a paused co-signature again, in its place among the signers and with its original date, and
    count it again (while its letter is public), if `by` is who hid it: NotYours otherwise."""
    with write_transaction():
        tally.lock()
        letter, signature = _lock_signature(signature, SignatureStatus.PUBLISHED, expected_revision)
        _show_signature(letter, signature, by)
        signatures.count_published(letter, +1)
        if hider(by) == TEAM:
            notify.queue_team_change("signature_shown", [signature])
    return signature


def hide_signatures(seen: dict[int, int], *, by: Moderator, reason: str) -> BulkResult:
    """An admin's emergency hide of the published signatures an admin saw (`seen`: id to the revision
    on their page), in one transaction, each with the reason on the record; one that changed since is
    skipped, one not published is counted apart (illegal)."""
    reason = sanitize.clean_text(reason)
    return _many(seen, lambda letter, signature: _hide_signature(letter, signature, by, reason), -1, told="signature_hidden", reason=reason)


def show_signatures(seen: dict[int, int], *, by: Moderator) -> BulkResult:
    """Show again the signatures the team hid among those an admin saw; those their signers hid stay
    hidden (counted as not_yours), as do those that changed since (skipped)."""
    return _many(seen, lambda letter, signature: _show_signature(letter, signature, by), +1, told="signature_shown")


def _lock_signature(signature: Signature, target: SignatureStatus, expected_revision: int | None) -> tuple[Letter, Signature]:
    """The signature and its letter locked (after the tally, in its lock order), to be moved to `target`."""
    letter = signatures.lock_letter(signature.letter_id)
    current = signatures.lock(signature)
    if current.status == target:
        raise letters.NothingChanged(current.public_id)
    if expected_revision is not None and current.revision != expected_revision:
        raise letters.StaleLetter(current.public_id)
    return letter, current


def _hide_signature(letter: Letter, signature: Signature, by: Moderator | str, reason: str | None) -> None:
    """Hide the locked signature, on the record; its caller counts it out (signatures.count_published)."""
    signatures.move(signature, SignatureStatus.PAUSED)
    signature.paused_by = hider(by)
    # When it left the public: published.taken_away tells every machine's PDFs to forget the name.
    signature.decided_at = utcnow()
    audit.record(by, AuditAction.SIGNATURE_PAUSE, letter, reason=reason, signature=signature.public_id)


def _show_signature(letter: Letter, signature: Signature, by: Moderator | str) -> None:
    """Show the locked signature again, on the record; its caller counts it in (signatures.count_published)."""
    if signature.status != SignatureStatus.PAUSED:
        # Only a pause is undone here: not a pending signature, nor one the moderators took down.
        raise signatures.IllegalSignatureMove(signature, SignatureStatus.PUBLISHED)
    if signature.paused_by != hider(by):
        raise NotYours(signature.public_id)
    signatures.move(signature, SignatureStatus.PUBLISHED)
    signature.paused_by = None
    audit.record(by, AuditAction.SIGNATURE_RESUME, letter, signature=signature.public_id)


def _many(seen: dict[int, int], act, delta: int, *, told: str, reason: str | None = None) -> BulkResult:
    """`act` on each signature seen at its revision, in one transaction (as signatures.decide does),
    count each letter's once by `delta` a signature (its signers indexed once, not once a signature:
    a flood of hundreds on one letter), and tell their signers (`told`: the mail's name) in it."""
    illegal = not_yours = 0
    done: list[Signature] = []
    changed: dict[int, int] = {}
    with write_transaction():
        tally.lock()
        letters_by_id, found = signatures.lock_many(list(seen))
        for signature in found:
            if signature.revision != seen[signature.id]:
                continue
            letter = letters_by_id[signature.letter_id]
            try:
                act(letter, signature)
            except NotYours:
                not_yours += 1
            except signatures.IllegalSignatureMove:
                illegal += 1
            else:
                done.append(signature)
                changed[letter.id] = changed.get(letter.id, 0) + 1
        for letter_id, count in changed.items():
            signatures.count_published(letters_by_id[letter_id], delta * count)
        notify.queue_team_change(told, done, reason)
    skipped = len(seen) - len(done) - illegal - not_yours
    changed_ids = tuple(letters_by_id[letter_id].public_id for letter_id in changed)
    return BulkResult(done=len(done), skipped=skipped, illegal=illegal, not_yours=not_yours, letters=changed_ids)
