"""A letter's life: its states and the only moves between them (submit, confirm, publish, schedule,
release, edit, reject, withdraw, unpublish), each one function, one transaction, one audit row, and
the refusals they raise; and public_state(), which every public page starts from, releasing what
is due. What the public and the moderators read is in published.py and moderation.py; the count
in tally.py.
"""

import hashlib
import json
from collections import Counter
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from . import audit, author_translations, letter_translations, notify, press_previews, retention, sanitize, search, similarity, tally
from .audit import Actor, AuditAction
from .extensions import db
from .models import LIMITS, Language, Letter, LetterStatus, LetterVersion, Moderator, Role, Signature, looks_like_public_id, new_public_id, utcnow
from .storage import write_transaction
from .tokens import CONFIRMATION_WINDOW

# The only moves a letter can make. Anything else is a domain error, never a silent change.
TRANSITIONS: dict[LetterStatus, frozenset[LetterStatus]] = {
    LetterStatus.UNCONFIRMED: frozenset({LetterStatus.PENDING, LetterStatus.WITHDRAWN}),
    LetterStatus.PENDING: frozenset({LetterStatus.PUBLISHED, LetterStatus.SCHEDULED, LetterStatus.REJECTED, LetterStatus.WITHDRAWN}),
    LetterStatus.SCHEDULED: frozenset({LetterStatus.PUBLISHED, LetterStatus.PENDING, LetterStatus.REJECTED, LetterStatus.WITHDRAWN}),
    LetterStatus.PUBLISHED: frozenset({LetterStatus.UNPUBLISHED, LetterStatus.WITHDRAWN, LetterStatus.PAUSED}),
    LetterStatus.PAUSED: frozenset({LetterStatus.PUBLISHED, LetterStatus.WITHDRAWN}),
    LetterStatus.UNPUBLISHED: frozenset({LetterStatus.PUBLISHED, LetterStatus.WITHDRAWN}),
    LetterStatus.REJECTED: frozenset({LetterStatus.WITHDRAWN}),
    LetterStatus.WITHDRAWN: frozenset(),
}


class LetterError(Exception):
    """Base of the letter domain's refusals."""


class IllegalTransition(LetterError):
    def __init__(self, letter: Letter, target: LetterStatus) -> None:
        super().__init__(f"letter {letter.public_id} cannot go from {letter.status} to {target}")
        self.current = LetterStatus(letter.status)
        self.target = target


class LetterGone(LetterError):
    """The letter no longer exists (an unconfirmed letter purged meanwhile)."""


class StaleLetter(LetterError):
    """The letter changed after the caller looked at it; the caller must look again."""


class DuplicateSubmission(LetterError):
    """The same form was posted again; the letter it created is `letter`."""

    def __init__(self, letter: Letter) -> None:
        super().__init__(f"form already stored as letter {letter.public_id}")
        self.letter = letter


def content_hash(display_name: str, descriptor: str | None, language: str, title: str | None, body_text: str) -> str:
    """SHA-256 over exactly what the public sees of a letter."""
    payload = json.dumps([display_name, descriptor, language, title, body_text], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


# --- state changes: each one function, one transaction, one audit row -------------------------


def submit(
    *,
    display_name: str,
    language: str,
    body_text: str,
    contact_email: str,
    descriptor: str | None = None,
    title: str | None = None,
    submitted_at: datetime | None = None,
    submission_key: str | None = None,
    collective: bool = False,
    second_text: author_translations.SecondText | None = None,
) -> Letter:
    """Store a new, unconfirmed letter with its sanitized HTML and queue the author's confirmation mail;
    a repeated submission key is refused.

    A collective letter is open for co-signing once published. A second text, the author's
    translation of it, is stored with it (or neither is) and checked by the moderator with it."""
    fields = public_fields(display_name, descriptor, language, title, body_text)
    try:
        return _insert_letter(
            **fields,
            contact_email=contact_email.strip(),
            status=LetterStatus.UNCONFIRMED,
            submitted_at=submitted_at or utcnow(),
            submission_key=submission_key,
            collective=collective,
            second_text=second_text,
        )
    except IntegrityError:
        # The unique constraint, not a look-up before the insert, decides: two racing posts
        # of one form cannot both get in.
        existing = submission_key and db.session.execute(
            select(Letter).where(Letter.submission_key == submission_key)
        ).scalar_one_or_none()
        if existing:
            raise DuplicateSubmission(existing) from None
        raise


def public_fields(display_name: str, descriptor: str | None, language: str, title: str | None, body_text: str) -> dict:
    """What the public sees of a new letter, as it is stored: cleaned, within LIMITS, with its HTML,
    its content hash and the keys that point moderators at duplicates."""
    display_name = sanitize.clean_line(display_name)
    descriptor = sanitize.clean_line(descriptor or "") or None
    title = sanitize.clean_line(title or "") or None
    body_text = sanitize.clean_text(body_text)
    language = Language(language).value
    _check_lengths(display_name=display_name, descriptor=descriptor, title=title, body_text=body_text)
    return {
        "display_name": display_name,
        "descriptor": descriptor,
        "language": language,
        "title": title,
        "body_text": body_text,
        "body_html": sanitize.text_to_html(body_text),
        "content_hash": content_hash(display_name, descriptor, language, title, body_text),
        "name_key": similarity.name_key(display_name),
        "text_simhash": similarity.text_simhash(body_text),
    }


def _insert_letter(second_text: author_translations.SecondText | None = None, **values) -> Letter:
    with write_transaction():
        letter = Letter(**values)
        db.session.add(letter)
        db.session.flush()
        with_translation = {}
        if second_text is not None:
            with_translation["translation"] = author_translations.add_to_submission(letter, second_text).language
        audit.record(Actor.AUTHOR, AuditAction.LETTER_SUBMIT, letter, hash_after=letter.content_hash, **with_translation)
        notify.queue_links(letter)
    return letter


class ConfirmationExpired(LetterError):
    pass


class ScheduleInPast(LetterError):
    pass


class NeedsAdmin(LetterError):
    """Only an admin may change the name under which a letter the public has seen was published."""


class NothingChanged(LetterError):
    pass


class FieldTooLong(LetterError):
    """A field is longer than its column once cleaned (forms check this first; this is the last guard)."""


def _check_lengths(**fields: str | None) -> None:
    for name, value in fields.items():
        if value is not None and len(value) > LIMITS[name]:
            raise FieldTooLong(name)


def confirm(letter: Letter, *, at: datetime | None = None) -> Letter:
    """The author proved they own the contact address: the letter joins the moderation queue."""
    with write_transaction():
        if letter.status == LetterStatus.UNCONFIRMED and letter.submitted_at < (at or utcnow()) - CONFIRMATION_WINDOW:
            raise ConfirmationExpired(letter.public_id)
        letter = move(letter, LetterStatus.PENDING)
        letter.confirmed_at = at or utcnow()
        audit.record(Actor.AUTHOR, AuditAction.LETTER_CONFIRM, letter)
    return letter


def publish(letter: Letter, *, by: Moderator | str, at: datetime | None = None, expected_revision: int | None = None,
            with_translations: bool = False) -> Letter:  # fmt: skip
    """Make the letter public and count its author. A hidden letter is not published: only whoever hid
    it shows it again (pauses.resume), so no moderator's button undoes an author's safety pause.
    `with_translations`: the moderator read the translations its author gave with it, and publishes
    them too; otherwise they wait for the team's check (author_translations.py)."""
    with write_transaction():
        tally.lock()
        letter = lock(letter, expected_revision)
        if letter.status == LetterStatus.PAUSED:
            raise IllegalTransition(letter, LetterStatus.PUBLISHED)
        letter = move(letter, LetterStatus.PUBLISHED, expected_revision)
        _publish_moved(letter, by, at or utcnow(), with_translations=with_translations)
    return letter


def _publish_moved(letter: Letter, by: Moderator | str, at: datetime, *, with_translations: bool = False) -> None:
    if letter.published_at is None:
        letter.published_at = at
    letter.scheduled_at = None
    letter.decided_at = utcnow()
    if with_translations:
        author_translations.publish_with_letter(letter, by=by)
    audit.record(by, AuditAction.LETTER_PUBLISH, letter, hash_after=letter.content_hash)
    tally.count_letter(letter, +1)
    search.reindex_letter(letter)
    _embargoes_changed()
    notify.queue_publication(letter)


def schedule(letter: Letter, *, by: Moderator, at: datetime, expected_revision: int | None = None, now: datetime | None = None,
             with_translations: bool = False) -> Letter:  # fmt: skip
    """Approve the letter for publication at `at` (an embargo): it is public and counted from then on
    (with the translations its author gave with it, if `with_translations`, as publish() says)."""
    if at <= (now or utcnow()):
        raise ScheduleInPast(at.isoformat())
    with write_transaction():
        tally.lock()
        letter = move(letter, LetterStatus.SCHEDULED, expected_revision)
        letter.scheduled_at = at
        if with_translations:
            author_translations.publish_with_letter(letter, by=by)
        audit.record(by, AuditAction.LETTER_SCHEDULE, letter, hash_after=letter.content_hash, at=at.isoformat())
        _embargoes_changed()
        notify.queue_publication(letter, "scheduled")
    return letter


def unschedule(letter: Letter, *, by: Moderator, expected_revision: int | None = None) -> Letter:
    """Lift the embargo without publishing: the letter goes back to the queue, and its author, who
    was told when it would be published, is told it will not be then."""
    with write_transaction():
        tally.lock()
        letter = move(letter, LetterStatus.PENDING, expected_revision)
        letter.scheduled_at = None
        audit.record(by, AuditAction.LETTER_UNSCHEDULE, letter)
        _embargoes_changed()
        if letter.contact_email:
            # They were told the moment it would go out: they are told it will not.
            notify.queue_links(letter, "unscheduled")
    return letter


def _embargoes_changed() -> None:
    """After a letter entered or left an embargo (in its transaction, the tally locked): the tally
    learns the next release, and a press preview whose embargo was emptied ends for good."""
    tally.refresh_next_release()
    press_previews.end_emptied()


def release_due(*, now: datetime | None = None) -> int:
    """Publish every embargoed letter whose time has come, each at its scheduled time; return how many."""
    now = now or utcnow()
    with write_transaction():
        # Of several workers noticing the same moment, one releases; the others then find nothing due.
        tally.lock()
        due = db.session.execute(
            select(Letter).where(Letter.status == LetterStatus.SCHEDULED, Letter.scheduled_at <= now).order_by(Letter.scheduled_at, Letter.id)
        ).scalars().all()
        for letter in due:
            letter = move(letter, LetterStatus.PUBLISHED)
            _publish_moved(letter, Actor.SYSTEM, letter.scheduled_at)
        _embargoes_changed()
    return len(due)


def publish_many(drafts: list[dict], *, by: str, action: AuditAction) -> list[str]:
    """Submit, confirm and publish many letters, each at its own times (demo data, at any scale): stored
    as submit() stores them, moved as confirm() and publish() move them, a thousand a statement, counted
    as publish() counts them; one audit row, `action`, and no mail. A draft holds submit()'s public
    fields, `collective`, and when it was submitted, confirmed and published; return the public ids."""
    public_ids: list[str] = []
    per_language: Counter[str] = Counter()
    with write_transaction():
        tally.lock()
        for start in range(0, len(drafts), 1000):
            rows = [_unconfirmed(draft) for draft in drafts[start : start + 1000]]
            db.session.execute(insert(Letter), rows)
            batch = [row["public_id"] for row in rows]
            for target, dated in _TO_PUBLIC:
                if (stuck := move_many(Letter, TRANSITIONS, batch, target, **dated)) is not None:
                    raise IllegalTransition(stuck, target)
            search.reindex(db.session.execute(select(Letter.id).where(Letter.public_id.in_(batch))).scalars().all())
            public_ids += batch
            per_language.update(row["language"] for row in rows)
        tally.count_letters(dict(per_language))
        audit.record(by, action, None, letters=len(public_ids))
    return public_ids


# The moves of publish_many(), each dated as if made at its time.
_TO_PUBLIC = (
    (LetterStatus.PENDING, {"updated_at": Letter.confirmed_at}),
    (LetterStatus.PUBLISHED, {"updated_at": Letter.published_at, "decided_at": Letter.published_at}),
)


def _unconfirmed(draft: dict) -> dict:
    """A draft of publish_many() as submit() stores it."""
    public = public_fields(draft["display_name"], draft["descriptor"], draft["language"], draft["title"], draft["body_text"])
    return {**draft, **public, "public_id": new_public_id(), "status": LetterStatus.UNCONFIRMED}


def edit(
    letter: Letter,
    *,
    by: Moderator,
    display_name: str,
    descriptor: str | None,
    title: str | None,
    body_text: str,
    reason: str,
    expected_revision: int | None = None,
) -> Letter:
    """Correct a letter's public fields, keeping the version it replaces, and tell the author what
    changed and why. A letter the public has seen says when it was corrected, and only an admin may
    change the name it was published under."""
    display_name = sanitize.clean_line(display_name)
    descriptor = sanitize.clean_line(descriptor or "") or None
    title = sanitize.clean_line(title or "") or None
    body_text = sanitize.clean_text(body_text)
    _check_lengths(display_name=display_name, descriptor=descriptor, title=title, body_text=body_text)
    with write_transaction():
        tally.lock()
        letter = lock(letter, expected_revision)
        if letter.status not in (LetterStatus.PENDING, LetterStatus.SCHEDULED, LetterStatus.PUBLISHED, LetterStatus.UNPUBLISHED):
            raise IllegalTransition(letter, LetterStatus(letter.status))
        new_hash = content_hash(display_name, descriptor, letter.language, title, body_text)
        if new_hash == letter.content_hash:
            raise NothingChanged(letter.public_id)
        seen = letter.published_at is not None
        if seen and display_name != letter.display_name and by.role != Role.ADMIN:
            raise NeedsAdmin(letter.public_id)
        before = {"display_name": letter.display_name, "descriptor": letter.descriptor, "title": letter.title, "body_text": letter.body_text}
        db.session.add(
            LetterVersion(
                letter_id=letter.id,
                display_name=letter.display_name,
                descriptor=letter.descriptor,
                title=letter.title,
                body_text=letter.body_text,
                content_hash=letter.content_hash,
                replaced_by_id=by.id,
            )
        )
        old_hash = letter.content_hash
        letter.display_name, letter.descriptor, letter.title, letter.body_text = display_name, descriptor, title, body_text
        letter.body_html = sanitize.text_to_html(body_text)
        letter.content_hash = new_hash
        letter.name_key = similarity.name_key(display_name)
        letter.text_simhash = similarity.text_simhash(body_text)
        letter.revision += 1
        if seen:
            letter.corrected_at = utcnow()
        reason = sanitize.clean_text(reason)
        audit.record(by, AuditAction.LETTER_EDIT, letter, reason=reason, hash_before=old_hash, hash_after=new_hash)
        notify.queue_correction(letter, before, reason)
        letter_translations.review_after_correction(letter, by)
        if letter.status == LetterStatus.PUBLISHED:
            tally.bump_revision()
            search.reindex_letter(letter)
    return letter


def resanitize(letter: Letter, *, by: Moderator | str) -> bool:
    """Make the letter's HTML again from its text with the sanitizer as it is now (one stored before
    its bounds, say); return whether it changed. The text, and so the content hash, stay as they
    are; a public letter's pages and PDFs are made again (the public revision moves)."""
    if sanitize.text_to_html(letter.body_text) == letter.body_html:
        return False
    with write_transaction():
        tally.lock()
        letter = lock(letter)
        html = sanitize.text_to_html(letter.body_text)  # of the text as it is now, under the lock
        if html == letter.body_html:
            return False
        letter.body_html = html
        letter.revision += 1
        audit.record(by, AuditAction.LETTER_RESANITIZE, letter, hash_before=letter.content_hash, hash_after=letter.content_hash)
        if letter.status == LetterStatus.PUBLISHED:
            tally.bump_revision()
    return True


def resanitize_all(*, by: Moderator | str, batch: int = 200) -> tuple[int, list[str]]:
    """resanitize() every stored letter, each in its own transaction; return how many were read and
    the public ids of those whose HTML changed."""
    changed: list[str] = []
    read, after = 0, 0
    while ids := list(db.session.execute(select(Letter.id).where(Letter.id > after).order_by(Letter.id).limit(batch)).scalars()):
        for letter in db.session.execute(select(Letter).where(Letter.id.in_(ids)).order_by(Letter.id)).scalars().all():
            read += 1
            if resanitize(letter, by=by):
                changed.append(letter.public_id)
        after = ids[-1]
        db.session.expunge_all()  # a batch at a time in memory, however many letters there are
    return read, changed


def reject(letter: Letter, *, by: Moderator | str, reason: str, expected_revision: int | None = None, stock_reason: int | None = None) -> Letter:
    """Decline a pending letter, with the reason on the record and in a mail to the author (and which
    stock reason it began with, if any)."""
    reason = sanitize.clean_text(reason)
    with write_transaction():
        tally.lock()
        letter = move(letter, LetterStatus.REJECTED, expected_revision)
        letter.decided_at = utcnow()
        letter.scheduled_at = None
        audit.record(by, AuditAction.LETTER_REJECT, letter, reason=reason, **({"stock_reason": stock_reason} if stock_reason else {}))
        author_translations.forget(letter)
        _embargoes_changed()
        notify.queue_decision(letter, "rejected", reason)
    return letter


def withdraw(letter: Letter) -> Letter:
    """The author takes the letter back, before or after publication; it leaves every public surface."""
    with write_transaction():
        tally.lock()
        # Decided on the locked row: a publication committed a moment ago must be uncounted too.
        letter = lock(letter)
        was_public = letter.status == LetterStatus.PUBLISHED
        letter = move(letter, LetterStatus.WITHDRAWN)
        letter.decided_at = utcnow()
        letter.scheduled_at = None
        audit.record(Actor.AUTHOR, AuditAction.LETTER_WITHDRAW, letter)
        author_translations.forget(letter)
        if was_public:
            tally.count_letter(letter, -1)
            search.reindex_letter(letter)
        _embargoes_changed()
    return letter


def unpublish(letter: Letter, *, by: Moderator | str, reason: str, expected_revision: int | None = None, stock_reason: int | None = None) -> Letter:
    """Take a published letter down, with the reason on the record and in a mail to the author (and
    which stock reason it began with, if any)."""
    reason = sanitize.clean_text(reason)
    with write_transaction():
        tally.lock()
        letter = move(letter, LetterStatus.UNPUBLISHED, expected_revision)
        letter.decided_at = utcnow()
        audit.record(by, AuditAction.LETTER_UNPUBLISH, letter, reason=reason, **({"stock_reason": stock_reason} if stock_reason else {}))
        tally.count_letter(letter, -1)
        search.reindex_letter(letter)
        notify.queue_decision(letter, "unpublished", reason)
    return letter


def purge_unconfirmed(*, now: datetime | None = None) -> int:
    """Delete letters never confirmed within the confirmation window; return how many."""
    return retention.purge_unconfirmed(Letter, AuditAction.LETTER_PURGE, window=CONFIRMATION_WINDOW, now=now)


def erase_contacts(*, after: timedelta, now: datetime | None = None) -> int:
    """Erase the private contact address of letters decided more than `after` ago, and any mail to it
    not sent yet; return how many letters."""
    return retention.erase_contacts(Letter, after=after, now=now)


def letters_for_contact(email: str) -> list[Letter]:
    """The letters sent from this address that the author may still act on (for resending links)."""
    active = (LetterStatus.UNCONFIRMED, LetterStatus.PENDING, LetterStatus.PUBLISHED, LetterStatus.UNPUBLISHED, LetterStatus.REJECTED)
    window = utcnow() - CONFIRMATION_WINDOW
    return [
        letter
        for letter in db.session.execute(
            select(Letter).where(Letter.contact_email == email.strip(), Letter.status.in_(active)).order_by(Letter.id)
        ).scalars()
        if letter.status != LetterStatus.UNCONFIRMED or letter.submitted_at >= window
    ]


def letter_by_public_id(public_id: str) -> Letter | None:
    """Any letter, whatever its state (for its author's private page); None for unknown ids."""
    if not looks_like_public_id(public_id):
        return None
    return db.session.execute(select(Letter).where(Letter.public_id == public_id)).scalar_one_or_none()


def lock(letter: Letter, expected_revision: int | None = None) -> Letter:
    """Re-read the letter under a write lock; refuse if it changed since the caller looked."""
    fresh = db.session.execute(
        select(Letter).where(Letter.id == letter.id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if fresh is None:
        raise LetterGone(letter.public_id)
    if expected_revision is not None and fresh.revision != expected_revision:
        raise StaleLetter(f"letter {fresh.public_id} is at revision {fresh.revision}, not {expected_revision}")
    return fresh


def move(letter: Letter, target: LetterStatus, expected_revision: int | None = None) -> Letter:
    """Re-read the letter under a write lock and move it to `target`, or refuse (TRANSITIONS): every
    change of a letter's state goes through here, inside the caller's write transaction."""
    fresh = lock(letter, expected_revision)
    if target not in TRANSITIONS[LetterStatus(fresh.status)]:
        raise IllegalTransition(fresh, target)
    fresh.status = target
    fresh.revision += 1
    return fresh


def move_many(rows: type[Letter] | type[Signature], transitions: dict, public_ids: list[str], target: StrEnum, **values) -> Letter | Signature | None:
    """Move many letters (or signatures, by their own table) to `target` in one statement, each from a
    state `transitions` lets it leave for `target`, as move() moves one; return one that may not
    move, for the caller to refuse (and so roll the others back), or None."""
    sources = [status for status, targets in transitions.items() if target in targets]
    chosen = rows.public_id.in_(public_ids)
    moved = db.session.execute(
        update(rows).where(chosen, rows.status.in_(sources)).values(status=target, revision=rows.revision + 1, **values),
        execution_options={"synchronize_session": False},
    ).rowcount
    return None if moved == len(public_ids) else db.session.scalars(select(rows).where(chosen, rows.status.not_in(sources))).first()


# --- what every public page starts from ------------------------------------------------------


def public_state(*, now: datetime | None = None) -> tally.TallySnapshot:
    """The snapshot every public page starts from, after releasing any embargo whose time has come.

    So embargoed letters appear and are counted at their moment, on whichever request comes
    first, with nobody pressing a button and no scheduler to keep alive.
    """
    snapshot = tally.snapshot()
    if snapshot.next_release_at is not None and snapshot.next_release_at <= (now or utcnow()):
        release_due(now=now)
        snapshot = tally.snapshot()
    return snapshot


def public_revision() -> int:
    """public_state().revision, for requests that need nothing else (a cached page or PDF): one raw read.

    When an embargo is due, or if the raw read fails, public_state() answers: it releases what
    is due, and retries or reports a database error as every public page does."""
    revision = tally.settled_revision()
    return public_state().revision if revision is None else revision
