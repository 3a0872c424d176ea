"""What the public reads of translations: a published letter's approved translations, for one
letter or for many at once (one query however many letters a list shows). The letter page, the
lists, the feeds, the API, the sitemap and the PDFs all ask here, so "public" is said once: approved,
and its letter published (Translation.is_public says the same of one row already loaded). Only the
translation pages of the team and the author change what is approved.
"""

from collections.abc import Iterable

from sqlalchemy import Select, select
from sqlalchemy.orm import contains_eager

from .extensions import db
from .models import Language, Letter, LetterStatus, Translation, TranslationStatus

# Beyond this many letters (a compilation's), their translations are read without naming each letter:
# a query may bind only so many values (SQLite: 32,766), and reading every public one is then cheaper.
NAMED_LETTERS = 1000

# The order a letter's translations are offered in: the site's languages, as the language switch lists them.
ORDER = {code.value: position for position, code in enumerate(Language)}


def _public() -> Select[tuple[Translation]]:
    return (
        select(Translation)
        .join(Letter, Translation.letter_id == Letter.id)
        .where(Translation.public_clause())
        .options(contains_eager(Translation.letter))
    )


def translations_of(letter: Letter) -> list[Translation]:
    """The public translations of a letter, in the site's order of languages (none if it is not published)."""
    found = db.session.execute(_public().where(Translation.letter_id == letter.id)).scalars()
    return sorted(found, key=lambda translation: ORDER[translation.language])


def translation_of(letter: Letter, language: str) -> Translation | None:
    """A letter's public translation into `language`, or None (none, not approved, letter not public)."""
    if language not in Language.__members__.values() or language == letter.language:
        return None
    return db.session.execute(_public().where(Translation.letter_id == letter.id, Translation.language == language)).scalar_one_or_none()


def translations_into(letters: Iterable[Letter], language: str) -> dict[int, Translation]:
    """For a list of letters, their public translations into `language`, by letter id (one query)."""
    ids = {letter.id for letter in letters if letter.language != language}
    if not ids:
        return {}
    query = _public().where(Translation.language == language)
    if len(ids) <= NAMED_LETTERS:
        query = query.where(Translation.letter_id.in_(ids))
    return {translation.letter_id: translation for translation in db.session.execute(query).scalars() if translation.letter_id in ids}


def translations_of_many(letters: Iterable[Letter]) -> dict[int, list[Translation]]:
    """For a list of letters, all their public translations, by letter id, each in the site's order (one query)."""
    found: dict[int, list[Translation]] = {letter.id: [] for letter in letters}
    if found:
        query = _public().where(Translation.letter_id.in_(found)) if len(found) <= NAMED_LETTERS else _public()
        for translation in db.session.execute(query).scalars():
            if translation.letter_id in found:
                found[translation.letter_id].append(translation)
    for shown in found.values():
        shown.sort(key=lambda translation: ORDER[translation.language])
    return found


def published_in(language: str, limit: int) -> list[tuple[Letter, Translation | None]]:
    """The latest letters a reader of `language` can read in it, newest first: those written in it,
    and those with a public translation into it (with that translation)."""
    translated = select(Translation.letter_id).where(Translation.language == language, Translation.status == TranslationStatus.APPROVED)
    query = (
        select(Letter)
        .where(Letter.status == LetterStatus.PUBLISHED, (Letter.language == language) | Letter.id.in_(translated))
        .order_by(Letter.published_at.desc(), Letter.id.desc())
        .limit(limit)
    )
    shown = list(db.session.execute(query).scalars())
    into = translations_into(shown, language)
    return [(letter, into.get(letter.id)) for letter in shown]
