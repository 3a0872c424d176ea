"""A letter's translations: their states and the only moves between them, each one function, one
transaction, one audit row. A translation speaks in its author's name, so the team's goes to the
author, who approves it or sends it back; the author's own is checked by the team first, as their
letter was (author_translations.py), and then adopted here; an admin publishes one without the
author only when the author's address is erased. A correction of the original sends
every translation made from the earlier text back to review.

Lock order, as in letters.py: the tally (when the public revision may move), the letter, then its
translation. Every change carries the revision its page was drawn at, so a stale page is refused.
Below letters.py (whose edit() calls review_after_correction), so it reads and locks letters itself.
"""

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import and_, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from . import audit, notify, sanitize, search, tally
from .audit import Actor, AuditAction
from .extensions import db
from .models import LIMITS, AuthorTranslation, Language, Letter, LetterStatus, Moderator, Role, Translation, TranslationApproval, TranslationStatus, TranslationVersion, utcnow
from .paging import Page, count_pages
from .storage import write_transaction

S = TranslationStatus
# The states the team may send to the author from, and the author may approve from.
SENDABLE = frozenset({S.DRAFT, S.RETURNED, S.TO_REVIEW})
APPROVABLE = frozenset({S.AWAITING_AUTHOR, S.TO_REVIEW})
# The states in which the public or the author has seen the translation: a correction of the
# original sends these to review (the others are still the team's to finish and send).
SHOWN = frozenset({S.APPROVED, S.AWAITING_AUTHOR})


class TranslationError(Exception):
    """Base of the translation domain's refusals."""


class StaleTranslation(TranslationError):
    """The translation changed after the caller looked at it (or was made meanwhile)."""


class ClaimedByOther(TranslationError):
    def __init__(self, translation: Translation) -> None:
        super().__init__(f"translation {translation.public_id} is claimed by moderator {translation.claimed_by_id}")
        self.translation = translation


class NotTranslatable(TranslationError):
    """The letter is not published (or is in this language already): nothing to translate now."""


class LetterWithdrawn(NotTranslatable):
    """The author withdrew the letter: its translations are never approved or sent again."""


class WrongState(TranslationError):
    """Not a move this translation can make in its state (approving a draft, sending an approved one)."""


class AuthorReachable(TranslationError):
    """The author can still be asked: only they approve a translation in their name."""


class AuthorUnreachable(TranslationError):
    """The author's address was erased: there is nobody to send the translation to."""


class FieldTooLong(TranslationError):
    """A field is longer than its column once cleaned (forms check this first; this is the last guard)."""


def source_hash(letter: Letter) -> str:
    """What a translation is made from: the letter's title and text. The name and rank above it are
    the letter's own in every language, so correcting them leaves its translations as approved."""
    return hashlib.sha256(json.dumps([letter.title, letter.body_text], ensure_ascii=False).encode()).hexdigest()


def claim_window() -> timedelta:
    return timedelta(hours=current_app.config["TRANSLATION_CLAIM_HOURS"])


def claim_holder(translation: Translation | None, *, now: datetime | None = None) -> Moderator | None:
    """Who holds the translation now; a claim older than the claim window holds nothing."""
    if translation is None or translation.claimed_by_id is None or translation.claimed_at is None:
        return None
    if translation.claimed_at < (now or utcnow()) - claim_window():
        return None
    return translation.claimed_by


# --- reading ---------------------------------------------------------------------------------------


def by_public_id(public_id: str) -> Translation | None:
    return db.session.execute(select(Translation).where(Translation.public_id == public_id)).scalar_one_or_none()


def of_letter(letter: Letter, language: str | None = None) -> list[Translation]:
    """The letter's translations (in one language), in the site's language order."""
    query = select(Translation).where(Translation.letter_id == letter.id)
    if language:
        query = query.where(Translation.language == language)
    order = {language.value: i for i, language in enumerate(Language)}
    return sorted(db.session.execute(query).scalars(), key=lambda t: order[t.language])


def waiting_for_author(letter: Letter) -> list[Translation]:
    """What the author's private page asks them to approve: sent to them, or to review after a correction."""
    return [t for t in of_letter(letter) if t.status in APPROVABLE]


def versions(translation: Translation) -> list[TranslationVersion]:
    """Earlier versions, newest first."""
    query = select(TranslationVersion).where(TranslationVersion.translation_id == translation.id).order_by(TranslationVersion.id.desc())
    return list(db.session.execute(query).scalars())


def work_page(language: str, number: int, per_page: int) -> Page:
    """Published letters in another language with no approved translation into `language`, the most
    co-signed and then the oldest first; each item is (letter, its translation or None)."""
    done = aliased(Translation)
    approved = exists().where(done.letter_id == Letter.id, done.language == language, done.status == S.APPROVED).correlate(Letter)
    where = and_(Letter.status == LetterStatus.PUBLISHED, Letter.language != language, ~approved)
    total = db.session.execute(select(func.count()).select_from(Letter).where(where)).scalar_one()
    pages = count_pages(number, per_page, total)
    rows = db.session.execute(
        select(Letter, Translation)
        .outerjoin(Translation, and_(Translation.letter_id == Letter.id, Translation.language == language))
        .where(where)
        .order_by(Letter.signatures_published.desc(), Letter.published_at, Letter.id)
        .limit(per_page)
        .offset((number - 1) * per_page)
    ).all()
    return Page(items=[tuple(row) for row in rows], number=number, pages=pages, total=total)


# --- changes by the team ---------------------------------------------------------------------------


def claim(letter: Letter, language: str, *, by: Moderator, now: datetime | None = None) -> Translation:
    """Hold the translation of the letter into `language` (made now if there is none), so nobody else
    writes it meanwhile; ClaimedByOther while someone else's claim lasts. Claiming one's own again
    renews it."""
    now = now or utcnow()
    with writing():
        letter, translation = _lock(letter, language, None)
        check_translatable(letter, language)
        translation = translation or _new(letter, language)
        holder = claim_holder(translation, now=now)
        if holder is not None and holder.id != by.id:
            raise ClaimedByOther(translation)
        translation.claimed_by_id, translation.claimed_at = by.id, now
        _changed(translation, by, AuditAction.TRANSLATION_CLAIM)
    return translation


def release(translation: Translation, *, by: Moderator, expected_revision: int) -> Translation:
    """Let go of a claim: one's own, or anyone's for an admin."""
    with writing():
        letter, translation = _lock(translation.letter, translation.language, expected_revision)
        if translation is None:
            raise StaleTranslation("gone")
        if translation.claimed_by_id is None:
            raise WrongState("not claimed")
        if translation.claimed_by_id != by.id and by.role != Role.ADMIN:
            raise ClaimedByOther(translation)
        released = translation.claimed_by_id
        translation.claimed_by_id = translation.claimed_at = None
        _changed(translation, by, AuditAction.TRANSLATION_RELEASE, claimed_by=released)
    return translation


def save(letter: Letter, language: str, *, by: Moderator, title: str | None, body_text: str, expected_revision: int) -> Translation:
    """Write or edit the team's translation (kept as a draft, the version it replaces kept too); the
    writer holds its claim. An approved one edited leaves the site until approved again (its approved_at
    stays: published.taken_away finds it by that, so no PDF keeps the words the public no longer sees)."""
    title, body_text = cleaned(title, body_text)
    with writing(public=True):
        letter, translation = _lock(letter, language, expected_revision)
        check_translatable(letter, language)
        translation = translation or _new(letter, language)
        holder = claim_holder(translation)
        if holder is not None and holder.id != by.id:
            raise ClaimedByOther(translation)
        was_public = translation.status == S.APPROVED
        _keep_version(translation, by)
        _write(translation, letter, title, body_text)
        translation.status, translation.written_by_id = S.DRAFT, by.id
        translation.claimed_by_id, translation.claimed_at = by.id, utcnow()
        _changed(translation, by, AuditAction.TRANSLATION_SAVE)
        if was_public:
            _public_changed(letter)
    return translation


def send_to_author(translation: Translation, *, by: Moderator, expected_revision: int) -> Translation:
    """Mail the translation to the author, in the letter's language, with the link to their private
    page, where they approve it or send it back. Not while someone else holds its claim: they are
    still writing it."""
    with writing():
        letter, translation = _lock_existing(translation, expected_revision)
        check_translatable(letter, translation.language)
        if translation.status not in SENDABLE:
            raise WrongState(translation.status)
        holder = claim_holder(translation)
        if holder is not None and holder.id != by.id:
            raise ClaimedByOther(translation)
        if not letter.contact_email:
            raise AuthorUnreachable(letter.public_id)
        translation.status = S.AWAITING_AUTHOR
        translation.author_comment = None
        _changed(translation, by, AuditAction.TRANSLATION_SEND)
        notify.queue_translation(translation)
    return translation


def publish_without_author(translation: Translation, *, by: Moderator, expected_revision: int) -> Translation:
    """An admin makes the translation public when the author's address is erased (nobody can ask
    them): marked as approved by the team, not by the author."""
    if by.role != Role.ADMIN:
        raise WrongState("admins only")
    with writing(public=True):
        letter, translation = _lock_existing(translation, expected_revision)
        check_translatable(letter, translation.language)
        if letter.contact_email:
            raise AuthorReachable(letter.public_id)
        if translation.status == S.APPROVED or not translation.body_text:
            raise WrongState(translation.status)
        _approve(translation, letter, TranslationApproval.TEAM, by)
    return translation


# --- changes by the author -------------------------------------------------------------------------


def approve(translation: Translation, *, expected_revision: int) -> Translation:
    """The author approves the translation as it was shown to them: public while the letter is."""
    with writing(public=True):
        letter, translation = _lock_existing(translation, expected_revision)
        _check_not_withdrawn(letter)
        if translation.status not in APPROVABLE:
            raise WrongState(translation.status)
        _approve(translation, letter, TranslationApproval.AUTHOR, Actor.AUTHOR)
    return translation


def send_back(translation: Translation, *, comment: str, expected_revision: int) -> Translation:
    """The author sends the translation back to the team with a comment (it is not public): the
    translator needs to read what should change, so a blank one is refused."""
    comment = sanitize.clean_text(comment)
    if not comment:
        raise WrongState("empty comment")
    with writing(public=True):
        letter, translation = _lock_existing(translation, expected_revision)
        _check_not_withdrawn(letter)
        if translation.status not in APPROVABLE:
            raise WrongState(translation.status)
        translation.status, translation.author_comment = S.RETURNED, comment
        _changed(translation, Actor.AUTHOR, AuditAction.TRANSLATION_RETURN, reason=comment)
    return translation


def adopt_authors(letter: Letter, language: str, *, title: str | None, body_text: str, checked_by: Moderator | str,
                  past_revision: int = 0) -> Translation:  # fmt: skip
    """Inside author_translations' transaction, the letter locked: the author's own translation,
    checked by the team, becomes the letter's translation into `language` (the one it replaces kept
    as a version), approved by the author who wrote it; who checked it is on the audit row. Its
    revision moves past `past_revision`, the adopted one's, where the author's next one starts."""
    letter, translation = _lock(letter, language, None)
    translation = translation or _new(letter, language)
    translation.revision = max(translation.revision, past_revision)
    _keep_version(translation, None)
    _write(translation, letter, title, body_text)
    translation.written_by_id = translation.claimed_by_id = translation.claimed_at = None
    translation.author_comment = None
    _approve(translation, letter, TranslationApproval.AUTHOR, checked_by, action=AuditAction.TRANSLATION_PUBLISH_CHECKED)
    translation.approved_by_id = None  # approved by its author: approved_by_id names an admin who published without them
    return translation


# --- a correction of the original ------------------------------------------------------------------


def review_after_correction(letter: Letter, by: Moderator) -> list[Translation]:
    """Inside letters.edit()'s transaction: every translation made from an earlier text that the
    public or the author was shown (approved, or awaiting the author) goes to review (not public) and
    the author is asked again; one still with the team (a draft, or one the author sent back, with
    their comment) stays with the team, who were never asked to show it to the author. Each writer is
    told by mail."""
    made_before = [t for t in of_letter(letter) if t.source_hash != source_hash(letter) and t.body_text and t.status != S.TO_REVIEW]
    shown = [t for t in made_before if t.status in SHOWN]
    for translation in shown:
        translation.status = S.TO_REVIEW
        _changed(translation, by, AuditAction.TRANSLATION_TO_REVIEW)
    if made_before:
        notify.queue_translation_review(letter, shown, made_before)
    return shown


# --- the moves' common steps -----------------------------------------------------------------------


@contextmanager
def writing(*, public: bool = False) -> Iterator[None]:
    """A write transaction, the tally locked first when the public revision may move; a translation
    made twice at once (the unique letter and language) is a stale page for the second."""
    try:
        with write_transaction():
            if public:
                tally.lock()
            yield
    except IntegrityError as error:
        raise StaleTranslation("made meanwhile") from error


def _lock(letter: Letter, language: str, expected_revision: int | None) -> tuple[Letter, Translation | None]:
    """The letter and its translation into `language` (None if there is none), read again under a
    write lock; StaleTranslation if the translation is not at `expected_revision` (0: none yet;
    None: whatever it is)."""
    return lock_with(Translation, letter, language, expected_revision)


def lock_with(table: type[Translation] | type[AuthorTranslation], letter: Letter, language: str, expected_revision: int | None):
    """The letter and its row of `table` (the translations, or the authors' waiting ones) into
    `language`, read again under a write lock, the letter first; StaleTranslation if that row (0: none)
    is not at `expected_revision` (None: whatever it is); LetterWithdrawn if the letter is gone."""
    fresh = db.session.execute(
        select(Letter).where(Letter.id == letter.id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if fresh is None:
        raise LetterWithdrawn(letter.public_id)
    row = db.session.execute(
        select(table).where(table.letter_id == fresh.id, table.language == Language(language).value)
        .with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if expected_revision is not None and (row.revision if row else 0) != expected_revision:
        raise StaleTranslation(f"letter {fresh.public_id} {language}: {table.__tablename__} not at revision {expected_revision}")
    return fresh, row


def _lock_existing(translation: Translation, expected_revision: int) -> tuple[Letter, Translation]:
    letter, fresh = _lock(translation.letter, translation.language, expected_revision)
    if fresh is None:
        raise StaleTranslation("gone")
    return letter, fresh


def _check_not_withdrawn(letter: Letter) -> None:
    if letter.status == LetterStatus.WITHDRAWN:
        raise LetterWithdrawn(letter.public_id)


def check_translatable(letter: Letter, language: str) -> None:
    """NotTranslatable unless the letter is published and in another language (LetterWithdrawn once
    withdrawn): the translation pages neither change nor show a letter the public cannot read."""
    _check_not_withdrawn(letter)
    if letter.status != LetterStatus.PUBLISHED or letter.language == language:
        raise NotTranslatable(letter.public_id)


def cleaned(title: str | None, body_text: str) -> tuple[str | None, str]:
    title, body_text = sanitize.clean_line(title or "") or None, sanitize.clean_text(body_text)
    if not body_text:
        raise WrongState("empty")
    for name, value in (("title", title), ("body_text", body_text)):
        if value is not None and len(value) > LIMITS[name]:
            raise FieldTooLong(name)
    return title, body_text


def _new(letter: Letter, language: str) -> Translation:
    translation = Translation(letter_id=letter.id, language=Language(language).value, status=S.DRAFT, revision=0, body_text="", body_html="")
    db.session.add(translation)
    db.session.flush()
    return translation


def _keep_version(translation: Translation, by: Moderator | None) -> None:
    if translation.body_text:
        db.session.add(TranslationVersion(translation_id=translation.id, title=translation.title, body_text=translation.body_text,
                                          replaced_by_id=by.id if by else None))  # fmt: skip


def _write(translation: Translation, letter: Letter, title: str | None, body_text: str) -> None:
    translation.title, translation.body_text = title, body_text
    translation.body_html = sanitize.text_to_html(body_text)
    translation.source_hash = source_hash(letter)


def _approve(translation: Translation, letter: Letter, approval: TranslationApproval, by: Moderator | Actor | str,
             action: AuditAction = AuditAction.TRANSLATION_APPROVE) -> None:  # fmt: skip
    translation.status, translation.approved_by, translation.approved_at = S.APPROVED, approval, utcnow()
    translation.approved_by_id = by.id if isinstance(by, Moderator) else None
    # The author approves the translation of the text as it stands now.
    translation.source_hash = source_hash(letter)
    _changed(translation, by, action)
    _public_changed(letter)


def _public_changed(letter: Letter) -> None:
    """What the public reads of a published letter changed (a translation came or went): its pages
    and its search terms follow; the count does not."""
    if letter.status == LetterStatus.PUBLISHED:
        tally.bump_revision()
        search.reindex_letter(letter)


def _changed(translation: Translation, by: Moderator | Actor | str, action: AuditAction, **details) -> None:
    translation.revision += 1
    reason = details.pop("reason", None)
    audit.record(by, action, translation.letter, reason=reason, language=translation.language, translation=translation.public_id, **details)


def as_letter(translation: Translation) -> SimpleNamespace:
    """The translation with its letter's name and dates, in the shape partials/_letter.html draws
    (so the author and the team see it as the public will)."""
    letter = translation.letter
    return SimpleNamespace(
        public_id=letter.public_id, language=translation.language, direction=translation.direction, title=translation.title,
        display_name=letter.display_name, descriptor=letter.descriptor, published_at=letter.published_at,
        submitted_at=letter.submitted_at, corrected_at=None, body_html=translation.body_html, body_text=translation.body_text,
        open_for_signing=False,
    )  # fmt: skip

