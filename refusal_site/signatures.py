"""Co-signing a collective letter: sign, confirm, publish (one by one or in bulk), withdraw; the
letter's signing settings; the public list of signers. Each published signature is a public refuser.

A signature changes state only through move() (TRANSITIONS), under lock() and lock_letter() taken in
the tally's lock order, and its letter's count of published signatures only through count_published():
pauses.py hides and shows signatures with them."""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from . import audit, letters, notify, retention, sanitize, search, tally
from .audit import Actor, AuditAction
from .extensions import db
from .letters import (
    CONFIRMATION_WINDOW,
    FieldTooLong,
    IllegalTransition,
    LetterError,
    LetterGone,
    NothingChanged,
    StaleLetter,
)
from .models import LIMITS, Letter, LetterStatus, Moderator, Signature, SignatureStatus, looks_like_public_id, new_public_id, utcnow
from .paging import Page, count_pages
from .storage import write_transaction

TRANSITIONS: dict[SignatureStatus, frozenset[SignatureStatus]] = {
    SignatureStatus.UNCONFIRMED: frozenset({SignatureStatus.PENDING, SignatureStatus.WITHDRAWN}),
    SignatureStatus.PENDING: frozenset({SignatureStatus.PUBLISHED, SignatureStatus.REJECTED, SignatureStatus.WITHDRAWN}),
    SignatureStatus.PUBLISHED: frozenset({SignatureStatus.UNPUBLISHED, SignatureStatus.WITHDRAWN, SignatureStatus.PAUSED}),
    # Shown again only by whoever hid it (pauses.py): never by a moderator's decision.
    SignatureStatus.PAUSED: frozenset({SignatureStatus.PUBLISHED, SignatureStatus.WITHDRAWN}),
    SignatureStatus.UNPUBLISHED: frozenset({SignatureStatus.PUBLISHED, SignatureStatus.WITHDRAWN}),
    SignatureStatus.REJECTED: frozenset({SignatureStatus.WITHDRAWN}),
    SignatureStatus.WITHDRAWN: frozenset(),
}


class SignatureError(LetterError):
    """Base of the co-signing refusals."""


class NotOpenForSigning(SignatureError):
    """The letter is not public, not collective, or closed to new signatures."""


class AlreadySigned(SignatureError):
    """This address already signed this letter; `signature` is that signature."""

    def __init__(self, signature: Signature) -> None:
        super().__init__(f"address already signed letter {signature.letter_id}")
        self.signature = signature


class AuthorSigning(SignatureError):
    """The letter's own author asked to co-sign it: the author is already counted, as its author."""

    def __init__(self, letter: Letter) -> None:
        super().__init__(f"the author of letter {letter.public_id} asked to co-sign it")
        self.letter = letter


class DuplicateSigning(SignatureError):
    """The same signing form was posted again; `signature` is what it stored."""

    def __init__(self, signature: Signature) -> None:
        super().__init__(f"form already stored as signature {signature.public_id}")
        self.signature = signature


class IllegalSignatureMove(SignatureError):
    def __init__(self, signature: Signature, target: SignatureStatus) -> None:
        super().__init__(f"signature {signature.public_id} cannot go from {signature.status} to {target}")
        self.current = SignatureStatus(signature.status)
        self.target = target


def email_key(address: str) -> str:
    """A keyed hash of the address (case-folded): equal for the same address, useless without the key,
    and kept when the address itself is erased."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"signature-email|" + address.strip().lower().encode(), hashlib.sha256).hexdigest()


# --- the letter's signing settings ----------------------------------------------------------------


def open_signing(letter: Letter, *, by: Moderator, expected_revision: int | None = None) -> Letter:
    """Make the letter collective (or reopen it): when public, anyone may ask to co-sign it."""
    return _set_signing(letter, by, expected_revision, collective=True, closed=False)


def close_signing(letter: Letter, *, by: Moderator, expected_revision: int | None = None) -> Letter:
    """Stop new signatures; those given before stay, and pending ones may still be decided."""
    return _set_signing(letter, by, expected_revision, collective=True, closed=True)


def _set_signing(letter: Letter, by: Moderator, expected_revision: int | None, *, collective: bool, closed: bool) -> Letter:
    with write_transaction():
        tally.lock()
        letter = letters.lock(letter, expected_revision)
        if letter.status in (LetterStatus.WITHDRAWN, LetterStatus.REJECTED):
            raise IllegalTransition(letter, LetterStatus(letter.status))
        was_closed = letter.signing_closed_at is not None
        if letter.collective == collective and was_closed == closed:
            raise NothingChanged(letter.public_id)
        letter.collective = collective
        letter.signing_closed_at = (letter.signing_closed_at or utcnow()) if closed else None
        letter.revision += 1
        action = AuditAction.LETTER_CLOSE_SIGNING if closed else AuditAction.LETTER_OPEN_SIGNING
        audit.record(by, action, letter)
        if letter.status == LetterStatus.PUBLISHED:
            tally.bump_revision()
    return letter


# --- a signature's life -----------------------------------------------------------------------------


def sign(
    letter: Letter, *, display_name: str, contact_email: str, descriptor: str | None = None, submission_key: str | None = None
) -> Signature:
    """Store a new, unconfirmed signature and queue the signer's confirmation mail; refuse a re-posted
    form (DuplicateSigning), a closed letter, a second signature from the same address (AlreadySigned)
    and the letter's author (AuthorSigning: already counted). The last two are told by mail, queued in
    the same transaction, so the web page can answer them as it answers a first signature.

    An unconfirmed signature from the same address whose confirmation window has passed is deleted
    (as purge_unconfirmed would), so its expired link does not block the address."""
    fields = {**_public_fields(display_name, descriptor), "contact_email": contact_email.strip(), "submission_key": submission_key}
    key = email_key(contact_email)
    try:
        return _sign(letter, key, **fields)
    except IntegrityError:
        # Two racing posts: the unique indexes decided; looking again finds the one that got in.
        return _sign(letter, key, **fields)


def _public_fields(display_name: str, descriptor: str | None) -> dict:
    """What the public sees of a new signature, cleaned and within the letters' LIMITS."""
    fields = {"display_name": sanitize.clean_line(display_name), "descriptor": sanitize.clean_line(descriptor or "") or None}
    for name, value in fields.items():
        if value is not None and len(value) > LIMITS[name]:
            raise FieldTooLong(name)
    return fields


def _sign(letter: Letter, key: str, **fields) -> Signature:
    """One attempt at sign(), in one transaction with the mail it causes."""
    with write_transaction():
        if fields["submission_key"]:
            same_form = db.session.execute(select(Signature).where(Signature.submission_key == fields["submission_key"])).scalar_one_or_none()
            if same_form is not None:
                raise DuplicateSigning(same_form)
        # A shared lock: a close, withdrawal or take-down committed while we sign waits for us, or we for it.
        fresh = db.session.execute(
            select(Letter).where(Letter.id == letter.id).with_for_update(read=True).execution_options(populate_existing=True)
        ).scalar_one_or_none()
        if fresh is None or not fresh.open_for_signing:
            raise NotOpenForSigning(letter.public_id)
        existing = _live_signature(fresh.id, key)
        if existing is not None and _expired(existing, utcnow()):
            # As purge_unconfirmed would (its unsent mail goes with it); a racing signer's insert
            # then meets the unique index and is told this address signed.
            db.session.execute(delete(Signature).where(Signature.id == existing.id, Signature.status == SignatureStatus.UNCONFIRMED))
            audit.record(Actor.SYSTEM, AuditAction.SIGNATURE_PURGE, fresh, signatures=1)
            existing = None
        if existing is not None:
            # The address is told again, with its links; no second signature is made.
            notify.queue_signer_links(existing, template="sign_again")
            refusal: SignatureError = AlreadySigned(existing)
        elif fresh.contact_email and fresh.contact_email.strip().lower() == fields["contact_email"].lower():
            # The author is told that they are counted as the letter's author, with its private page.
            notify.queue_links(fresh, template="sign_own_letter")
            refusal = AuthorSigning(fresh)
        else:
            signature = Signature(letter_id=fresh.id, email_key=key, status=SignatureStatus.UNCONFIRMED, **fields)
            db.session.add(signature)
            db.session.flush()
            audit.record(Actor.SIGNER, AuditAction.SIGNATURE_SUBMIT, fresh, signature=signature.public_id)
            notify.queue_signer_links(signature)
            return signature
    raise refusal


def _live_signature(letter_id: int, key: str) -> Signature | None:
    return db.session.execute(
        select(Signature).where(Signature.letter_id == letter_id, Signature.email_key == key, Signature.status != SignatureStatus.WITHDRAWN)
    ).scalar_one_or_none()


def _expired(signature: Signature, at: datetime) -> bool:
    """Never confirmed within the confirmation window: its link no longer works."""
    return signature.status == SignatureStatus.UNCONFIRMED and signature.submitted_at < at - CONFIRMATION_WINDOW


class SignatureExpired(SignatureError):
    pass


def confirm(signature: Signature, *, at: datetime | None = None) -> Signature:
    """The signer proved they read the address: the signature waits for a moderator. Refused while the
    letter is not public (withdrawn, taken down): nobody can co-sign it then."""
    at = at or utcnow()
    with write_transaction():
        # Shared, as signing takes it (the lock order is in tally's docstring).
        letter = db.session.execute(
            select(Letter).where(Letter.id == signature.letter_id).with_for_update(read=True).execution_options(populate_existing=True)
        ).scalar_one_or_none()
        if letter is None:
            raise LetterGone(signature.public_id)
        signature = lock(signature)
        if _expired(signature, at):
            raise SignatureExpired(signature.public_id)
        if letter.status != LetterStatus.PUBLISHED:
            raise NotOpenForSigning(letter.public_id)
        move(signature, SignatureStatus.PENDING)
        signature.confirmed_at = at
        audit.record(Actor.SIGNER, AuditAction.SIGNATURE_CONFIRM, signature.letter, signature=signature.public_id)
    return signature


def withdraw(signature: Signature) -> Signature:
    """The signer takes the signature back, also from a pause; if it was public, it leaves the list and
    the count at once."""
    with write_transaction():
        tally.lock()
        letter = lock_letter(signature.letter_id)
        signature = lock(signature)
        was_public = signature.status == SignatureStatus.PUBLISHED
        move(signature, SignatureStatus.WITHDRAWN)
        signature.decided_at = utcnow()
        audit.record(Actor.SIGNER, AuditAction.SIGNATURE_WITHDRAW, letter, signature=signature.public_id)
        if was_public:
            count_published(letter, -1)
    return signature


def publish_many(letter: Letter, signers: list[dict], *, by: str, action: AuditAction) -> int:
    """Sign, confirm and publish many signatures of a public collective letter at once, each at its
    own times (demo data): stored as sign() stores them, moved as confirm() and decide() move them, a
    thousand a statement, and counted as decide() counts them; one audit row for the batch, `action`,
    and no mail. A signer holds sign()'s fields (the address as its email_key) and when they signed,
    confirmed and were published; return how many."""
    with write_transaction():
        tally.lock()
        letter = letters.lock(letter)
        if not letter.open_for_signing:
            raise NotOpenForSigning(letter.public_id)
        for start in range(0, len(signers), 1000):
            rows = [
                {**signer, **_public_fields(signer["display_name"], signer["descriptor"]), "public_id": new_public_id(), "letter_id": letter.id, "status": SignatureStatus.UNCONFIRMED}
                for signer in signers[start : start + 1000]
            ]
            db.session.execute(insert(Signature), rows)
            batch = [row["public_id"] for row in rows]
            for target, dated in _TO_PUBLIC:
                if (stuck := letters.move_many(Signature, TRANSITIONS, batch, target, **dated)) is not None:
                    raise IllegalSignatureMove(stuck, target)
        if signers:
            count_published(letter, len(signers))
        audit.record(by, action, letter, signatures=len(signers))
    return len(signers)


# The moves of publish_many(), each dated as if made at its time.
_TO_PUBLIC = ((SignatureStatus.PENDING, {}), (SignatureStatus.PUBLISHED, {"decided_at": Signature.published_at}))


@dataclass(frozen=True)
class BulkResult:
    done: int
    # Changed since the moderator saw them (withdrawn, decided by someone else), or, when publishing,
    # their letter is not public now.
    skipped: int
    illegal: int = 0  # as shown, but the state rules forbid this decision (e.g. taking down a pending one)
    not_yours: int = 0  # as shown, but hidden by their signers, who alone show them again (pauses.NotYours)
    letters: tuple[str, ...] = ()  # the public ids of the letters whose signers changed (pauses: their PDFs to forget)


DECISIONS = {
    "publish": (SignatureStatus.PUBLISHED, AuditAction.SIGNATURE_PUBLISH),
    "reject": (SignatureStatus.REJECTED, AuditAction.SIGNATURE_REJECT),
    "unpublish": (SignatureStatus.UNPUBLISHED, AuditAction.SIGNATURE_UNPUBLISH),
}


def decide(seen: dict[int, int], decision: str, *, by: Moderator | str, reason: str | None = None) -> BulkResult:
    """Publish, reject or take down the signatures a moderator saw, in one transaction, one audit row each.

    `seen` maps signature id to the revision on the moderator's page: a signature that changed since
    (withdrawn, decided by another moderator) is skipped, never decided on a stale view; so is one to
    publish whose letter is not public. A decision the state rules forbid is counted apart (illegal).
    Signers are told their signature is published, or taken down (with the reason: once per mailbox)."""
    target, action = DECISIONS[decision]
    reason = sanitize.clean_text(reason) if reason else None
    done = illegal = 0
    with write_transaction():
        tally.lock()
        letters_by_id, found = lock_many(list(seen))
        changes: dict[int, int] = {}
        taken_down: list[Signature] = []
        for signature in found:
            if signature.revision != seen[signature.id]:
                continue
            # A paused signature is its signer's (or the team's) to show again, not a moderator's decision.
            if signature.status == SignatureStatus.PAUSED or target not in TRANSITIONS[SignatureStatus(signature.status)]:
                illegal += 1
                continue
            if target == SignatureStatus.PUBLISHED and letters_by_id[signature.letter_id].status != LetterStatus.PUBLISHED:
                continue
            was_public = signature.status == SignatureStatus.PUBLISHED
            signature.status = target
            signature.revision += 1
            signature.decided_at = utcnow()
            if target == SignatureStatus.PUBLISHED:
                signature.published_at = signature.published_at or signature.decided_at
                notify.queue_signature_published(signature)
            elif target == SignatureStatus.UNPUBLISHED:
                taken_down.append(signature)
            audit.record(by, action, letters_by_id[signature.letter_id], reason=reason, signature=signature.public_id)
            delta = 1 if target == SignatureStatus.PUBLISHED else (-1 if was_public else 0)
            changes[signature.letter_id] = changes.get(signature.letter_id, 0) + delta
            done += 1
        for letter_id, delta in changes.items():
            if delta:
                count_published(letters_by_id[letter_id], delta)
        notify.queue_team_change("signature_unpublished", taken_down, reason)
    return BulkResult(done=done, skipped=len(seen) - done - illegal, illegal=illegal)


def count_published(letter: Letter, delta: int) -> None:
    """Move the letter's published signatures by `delta`, and the tally with them (counted only while
    the letter is public), and index the letter with its signers as they are now: inside the
    caller's write transaction, its letter locked."""
    letter.signatures_published += delta
    letter.signers_version += 1
    db.session.flush()
    tally.count_signatures(letter, delta)
    search.reindex_letter(letter)


def lock_many(ids: list[int]) -> tuple[dict[int, Letter], list[Signature]]:
    """Lock the signatures `ids` and their letters, letters first, each in id order (the tally's lock
    order, after tally.lock()): their letters by id, and the signatures found."""
    letter_ids = sorted(set(db.session.execute(select(Signature.letter_id).where(Signature.id.in_(ids))).scalars()))
    letters_by_id = {
        letter.id: letter
        for letter in db.session.execute(
            select(Letter).where(Letter.id.in_(letter_ids)).order_by(Letter.id).with_for_update().execution_options(populate_existing=True)
        ).scalars()
    }
    found = db.session.execute(
        select(Signature).where(Signature.id.in_(ids)).order_by(Signature.id).with_for_update().execution_options(populate_existing=True)
    ).scalars().all()
    return letters_by_id, list(found)


def lock_letter(letter_id: int) -> Letter:
    """Re-read a signature's letter under a write lock (LetterGone if it is no more)."""
    letter = db.session.execute(
        select(Letter).where(Letter.id == letter_id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if letter is None:
        raise LetterGone(str(letter_id))
    return letter


def lock(signature: Signature, expected_revision: int | None = None) -> Signature:
    """Re-read the signature under a write lock, after its letter's: LetterGone if it is no more,
    StaleLetter if it changed since the caller's page showed `expected_revision`."""
    fresh = db.session.execute(
        select(Signature).where(Signature.id == signature.id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if fresh is None:
        raise LetterGone(signature.public_id)
    if expected_revision is not None and fresh.revision != expected_revision:
        raise StaleLetter(signature.public_id)
    return fresh


def move(signature: Signature, target: SignatureStatus) -> None:
    """Move a locked signature to `target`, or refuse (IllegalSignatureMove): every change of a
    signature's state goes through here (publish_many and decide move many by the same TRANSITIONS)."""
    if target not in TRANSITIONS[SignatureStatus(signature.status)]:
        raise IllegalSignatureMove(signature, target)
    signature.status = target
    signature.revision += 1


def purge_unconfirmed(*, now: datetime | None = None) -> int:
    """Delete signatures never confirmed within the confirmation window; return how many."""
    return retention.purge_unconfirmed(Signature, AuditAction.SIGNATURE_PURGE, window=CONFIRMATION_WINDOW, now=now)


def erase_contacts(*, after: timedelta, now: datetime | None = None) -> int:
    """Erase signers' addresses decided more than `after` ago (the keyed hash stays), and any mail to them
    not sent yet; return how many signatures."""
    return retention.erase_contacts(Signature, after=after, now=now)


# --- reading ----------------------------------------------------------------------------------------


def signature_by_public_id(public_id: str) -> Signature | None:
    if not looks_like_public_id(public_id):
        return None
    return db.session.execute(select(Signature).where(Signature.public_id == public_id)).scalar_one_or_none()


@dataclass(frozen=True)
class SignerPage(Page):
    first: int  # the position (1-based) of the first signer on this page


# Order of signing: when the signer confirmed (a signature exists from then), then the row order.
SIGNING_ORDER = (Signature.confirmed_at.asc(), Signature.id.asc())


def signer_page(letter: Letter, number: int, per_page: int) -> SignerPage:
    """One page of a letter's published signers, in order of signing; the total from the letter row."""
    total = letter.signatures_published
    pages = count_pages(number, per_page, total)
    query = (
        select(Signature)
        .where(Signature.letter_id == letter.id, Signature.status == SignatureStatus.PUBLISHED)
        .order_by(*SIGNING_ORDER)
        .limit(per_page)
        .offset((number - 1) * per_page)
    )
    return SignerPage(list(db.session.execute(query).scalars()), number, pages, total, (number - 1) * per_page + 1)


def published_signers(letter_ids: list[int]) -> dict[int, list[Signature]]:
    """Every published signer of these letters, in order of signing, in one query (for PDFs)."""
    result: dict[int, list[Signature]] = {letter_id: [] for letter_id in letter_ids}
    if not letter_ids:
        return result
    query = select(Signature).where(Signature.letter_id.in_(letter_ids), Signature.status == SignatureStatus.PUBLISHED).order_by(*SIGNING_ORDER)
    for signature in db.session.execute(query).scalars():
        result[signature.letter_id].append(signature)
    return result


def queue_page(number: int, per_page: int, *, status: str = SignatureStatus.PENDING, letter: Letter | None = None):
    """Signatures in a state for moderators (oldest confirmation first), optionally of one letter."""
    status = SignatureStatus(status)
    query = select(Signature).where(Signature.status == status)
    count = select(func.count()).select_from(Signature).where(Signature.status == status)
    if letter is not None:
        query = query.where(Signature.letter_id == letter.id)
        count = count.where(Signature.letter_id == letter.id)
    total = db.session.execute(count).scalar_one()
    pages = count_pages(number, per_page, total)
    items = list(
        db.session.execute(
            query.options(selectinload(Signature.letter))
            .order_by(Signature.confirmed_at.asc(), Signature.id.asc())
            .limit(per_page)
            .offset((number - 1) * per_page)
        ).scalars()
    )
    return Page(items, number, pages, total)


def state_counts(letter: Letter | None = None) -> dict[str, int]:
    counts = dict.fromkeys((s.value for s in SignatureStatus), 0)
    query = select(Signature.status, func.count()).group_by(Signature.status)
    if letter is not None:
        query = query.where(Signature.letter_id == letter.id)
    counts.update(db.session.execute(query).all())
    return counts


def signatures_for_contact(email: str) -> list[Signature]:
    """Signatures given from this address that the signer may still act on (for resending links)."""
    active = (
        SignatureStatus.UNCONFIRMED, SignatureStatus.PENDING, SignatureStatus.PUBLISHED, SignatureStatus.PAUSED,
        SignatureStatus.UNPUBLISHED, SignatureStatus.REJECTED,
    )  # fmt: skip
    window = utcnow() - CONFIRMATION_WINDOW
    return [
        signature
        for signature in db.session.execute(
            select(Signature).where(Signature.contact_email == email.strip(), Signature.status.in_(active)).order_by(Signature.id)
        ).scalars()
        if signature.status != SignatureStatus.UNCONFIRMED or signature.submitted_at >= window
    ]
