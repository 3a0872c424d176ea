"""Translations the author writes (with the letter, or later from its private page) and the team's
check of them. Every letter passes a moderator before the public sees it, and so does a translation
in the author's name: it could carry an insult, someone else's private details or spam, or come
from whoever got hold of the private link. Until a moderator or an admin publishes it, it is kept
in its own table, which no public query reads, and a public translation into the same language
stays as it is meanwhile. Published, its words become the letter's translation (approved by the
author, who wrote them); sent back, the author reads the team's reason on the private page, edits
it and sends it again. Translators decide nothing, so they neither publish nor send back.

Lock order, as in letter_translations.py: the tally (when the public revision may move), the
letter, its translation, then the author's. Every change carries the revision its page was drawn
at, so a stale page is refused.
"""

from dataclasses import dataclass

from sqlalchemy import delete, func, select

from . import audit, letter_translations, notify, sanitize
from .audit import Actor, AuditAction
from .extensions import db
from .letter_translations import LetterWithdrawn, NotTranslatable, StaleTranslation, TranslationError, WrongState
from .models import AuthorTranslation, AuthorTranslationStatus, Language, Letter, LetterStatus, Moderator, Role, Translation, utcnow
from .paging import Page, count_pages

S = AuthorTranslationStatus
# Who may publish an author's translation or send it back: those who decide letters.
DECIDERS = frozenset({Role.MODERATOR, Role.ADMIN})
# The letters whose author's translations the team checks on their own: approved ones (a letter
# still in the queue has its translation checked with it, on its review page).
CHECKED_ALONE = (LetterStatus.PUBLISHED, LetterStatus.SCHEDULED)

__all__ = ["LetterWithdrawn", "NotTranslatable", "StaleTranslation", "TranslationError", "WrongState"]


class DecidersOnly(TranslationError):
    """Only a moderator or an admin checks an author's translation: a translator decides nothing."""


@dataclass(frozen=True)
class SecondText:
    """A translation given with the letter's form (or its correction before confirming)."""

    language: str
    title: str | None
    body_text: str


# --- reading ---------------------------------------------------------------------------------------


def of_letter(letter: Letter, language: str | None = None) -> list[AuthorTranslation]:
    """The author's translations of the letter not yet published (in one language), in the site's order."""
    query = select(AuthorTranslation).where(AuthorTranslation.letter_id == letter.id)
    if language:
        query = query.where(AuthorTranslation.language == language)
    order = {code.value: i for i, code in enumerate(Language)}
    return sorted(db.session.execute(query).scalars(), key=lambda mine: order[mine.language])


def waiting_page(language: str | None, number: int, per_page: int) -> Page:
    """Translations written by authors, waiting for the team's check (into `language`, or all), of
    approved letters, the oldest first."""
    where = [AuthorTranslation.status == S.WAITING, Letter.status.in_(CHECKED_ALONE)]
    if language:
        where.append(AuthorTranslation.language == language)
    joined = select(AuthorTranslation).join(Letter, AuthorTranslation.letter_id == Letter.id).where(*where)
    total = db.session.execute(select(func.count()).select_from(joined.subquery())).scalar_one()
    pages = count_pages(number, per_page, total)
    rows = db.session.execute(joined.order_by(AuthorTranslation.written_at, AuthorTranslation.id).limit(per_page).offset((number - 1) * per_page))
    return Page(items=list(rows.scalars()), number=number, pages=pages, total=total)


def published_with_decision(letter: Letter) -> list[str]:
    """The languages of the author's translations published by the letter's latest decision (its
    publication with the box ticked): what the moderator is told was published with it, which is not
    what the box asked when a colleague sent one back meanwhile."""
    if letter.decided_at is None:
        return []
    query = select(Translation.language).where(Translation.letter_id == letter.id, Translation.written_by_id.is_(None),
                                               Translation.approved_at >= letter.decided_at)  # fmt: skip
    return list(db.session.execute(query).scalars())


def made_before_correction(mine: AuthorTranslation) -> bool:
    """Whether the letter's title or text changed after the author wrote this translation of them."""
    return mine.source_hash != letter_translations.source_hash(mine.letter)


# --- by the author ---------------------------------------------------------------------------------


def add_to_submission(letter: Letter, second: SecondText) -> AuthorTranslation:
    """Inside the transaction that stores (or corrects) the letter: its translation, checked by the
    moderator with the letter. FieldTooLong or WrongState (empty) leave nothing stored."""
    if Language(second.language) == Language(letter.language):
        raise NotTranslatable(letter.public_id)
    title, body_text = letter_translations.cleaned(second.title, second.body_text)
    mine = AuthorTranslation(letter_id=letter.id, language=Language(second.language).value, revision=1)
    _write(mine, letter, title, body_text)
    db.session.add(mine)
    db.session.flush()
    return mine


def replace_in_submission(letter: Letter, second: SecondText | None) -> bool:
    """Inside drafts.correct_text's transaction: the author's corrected translation (None: none) in
    place of the one given with the letter; return whether anything changed."""
    current = of_letter(letter)
    if second is not None and len(current) == 1 and _same(current[0], second):
        return False
    if second is None and not current:
        return False
    db.session.execute(delete(AuthorTranslation).where(AuthorTranslation.letter_id == letter.id))
    if second is not None:
        add_to_submission(letter, second)
    return True


def write(letter: Letter, language: str, *, title: str | None, body_text: str, expected_revision: int) -> AuthorTranslation:
    """The author's translation of their published letter, from its private page: it waits for the
    team's check, and one already public in that language stays so meanwhile. Writing again (after
    the team sent it back, or before they looked) replaces what waits."""
    title, body_text = letter_translations.cleaned(title, body_text)
    with letter_translations.writing():
        letter, mine = _lock(letter, language, expected_revision)
        letter_translations.check_translatable(letter, language)
        if mine is None:
            mine = AuthorTranslation(letter_id=letter.id, language=Language(language).value, revision=_first_revision(letter, language))
            db.session.add(mine)
        _write(mine, letter, title, body_text)
        mine.status, mine.team_reason = S.WAITING, None
        _changed(mine, letter, Actor.AUTHOR, AuditAction.TRANSLATION_WRITE_BY_AUTHOR)
    return mine


# --- the team's check ------------------------------------------------------------------------------


def publish(mine: AuthorTranslation, *, by: Moderator, expected_revision: int, expected_source: str | None = None) -> Translation:
    """A moderator or an admin read the author's translation: it becomes the letter's public one
    (public while the letter is), marked as the author's, replacing any there was. `expected_source`:
    the letter's text they read it beside (letter_translations.source_hash); corrected since, the
    page is stale."""
    _check_decider(by)
    seen = _what_was_seen(mine)
    with letter_translations.writing(public=True):
        letter, mine = _lock_existing(seen, expected_revision)
        _check_checkable(letter)
        if expected_source is not None and letter_translations.source_hash(letter) != expected_source:
            raise StaleTranslation(f"letter {letter.public_id}: corrected since the page was drawn")
        translation = _adopt(letter, mine, by)
    return translation


def publish_with_letter(letter: Letter, *, by: Moderator | str) -> list[Translation]:
    """Inside letters.publish's or letters.schedule's transaction, the letter locked: the moderator
    approved its author's translations with it."""
    if isinstance(by, Moderator):
        _check_decider(by)
    return [_adopt(letter, mine, by) for mine in of_letter(letter) if mine.status == S.WAITING]


def send_back(mine: AuthorTranslation, *, by: Moderator, reason: str, expected_revision: int) -> AuthorTranslation:
    """Not published: back to the author with the team's reason, by mail in the letter's language with
    the link to the private page, where they read it, edit the translation and send it again."""
    _check_decider(by)
    reason = sanitize.clean_text(reason)
    if not reason:
        raise WrongState("empty reason")
    seen = _what_was_seen(mine)
    with letter_translations.writing():
        letter, mine = _lock_existing(seen, expected_revision)
        _check_checkable(letter)
        if mine.status != S.WAITING:
            raise WrongState(mine.status)
        mine.status, mine.team_reason = S.RETURNED, reason
        _changed(mine, letter, by, AuditAction.TRANSLATION_RETURN_TO_AUTHOR, reason=reason)
        notify.queue_translation_returned(mine)
    return mine


def forget(letter: Letter) -> None:
    """Inside the transaction that rejects or withdraws the letter: its author's translations go with it."""
    db.session.execute(delete(AuthorTranslation).where(AuthorTranslation.letter_id == letter.id))


# --- the moves' common steps -----------------------------------------------------------------------


def _adopt(letter: Letter, mine: AuthorTranslation, by: Moderator | str) -> Translation:
    if mine.status != S.WAITING:
        raise WrongState(mine.status)
    translation = letter_translations.adopt_authors(letter, mine.language, title=mine.title, body_text=mine.body_text, checked_by=by,
                                                    past_revision=mine.revision)  # fmt: skip
    db.session.delete(mine)
    db.session.flush()
    return translation


def _first_revision(letter: Letter, language: str) -> int:
    """Where a new author's translation's revisions start: past every earlier one's into the language,
    so a page drawn for one published since (and gone from this table) is stale for the next, not
    taken for it (adopt_authors keeps the public translation's revision past the one it adopted)."""
    public = letter_translations.of_letter(letter, language)
    return public[0].revision if public else 0


def _check_decider(by: Moderator) -> None:
    if by.role not in DECIDERS:
        raise DecidersOnly(by.role)


def _check_checkable(letter: Letter) -> None:
    if letter.status == LetterStatus.WITHDRAWN:
        raise LetterWithdrawn(letter.public_id)
    if letter.status not in CHECKED_ALONE:
        raise NotTranslatable(letter.public_id)


def _lock(letter: Letter, language: str, expected_revision: int | None) -> tuple[Letter, AuthorTranslation | None]:
    """The letter and the author's translation into `language` (None if there is none) under a write
    lock; StaleTranslation if it is not at `expected_revision` (0: none)."""
    return letter_translations.lock_with(AuthorTranslation, letter, language, expected_revision)


def _what_was_seen(mine: AuthorTranslation) -> tuple[Letter, str]:
    """The letter and language of the translation as the caller loaded it, read before the write
    transaction begins: a colleague's decision may delete its row meanwhile, and the instance, read
    again inside the transaction, would raise instead of being found stale."""
    return mine.letter, mine.language


def _lock_existing(seen: tuple[Letter, str], expected_revision: int) -> tuple[Letter, AuthorTranslation]:
    letter, fresh = _lock(*seen, expected_revision)
    if fresh is None:
        raise StaleTranslation("gone")
    return letter, fresh


def _write(mine: AuthorTranslation, letter: Letter, title: str | None, body_text: str) -> None:
    mine.title, mine.body_text = title, body_text
    mine.body_html = sanitize.text_to_html(body_text)
    mine.source_hash = letter_translations.source_hash(letter)
    mine.written_at = utcnow()


def _same(mine: AuthorTranslation, second: SecondText) -> bool:
    title, body_text = letter_translations.cleaned(second.title, second.body_text)
    return (mine.language, mine.title, mine.body_text) == (Language(second.language).value, title, body_text)


def _changed(mine: AuthorTranslation, letter: Letter, by: Moderator | Actor, action: AuditAction, **details) -> None:
    mine.revision += 1
    reason = details.pop("reason", None)
    audit.record(by, action, letter, reason=reason, language=mine.language, **details)
