"""What the public reads: the published letters (a page of them, the latest, one by its public id),
how many refusers were published each day, and what the press compiles (which letters, over which
span, and what was taken from the public since a time). One query feeds the HTML list, the feed,
the API and the PDFs. Only letters.py changes what is published.
"""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, func, or_, select

from .extensions import db
from .models import Language, Letter, LetterStatus, Signature, SignatureStatus, looks_like_public_id
from .paging import Page, count_pages
from .tally import TallySnapshot


def published_letters(language: str | None = None) -> Select[tuple[Letter]]:
    """Published letters, newest first, optionally in one language."""
    query = select(Letter).where(Letter.status == LetterStatus.PUBLISHED)
    if language is not None:
        query = query.where(Letter.language == Language(language).value)
    return query.order_by(Letter.published_at.desc(), Letter.id.desc())


def latest_published(limit: int, language: str | None = None) -> list[Letter]:
    return list(db.session.execute(published_letters(language).limit(limit)).scalars())


def published_page(number: int, per_page: int, counted: TallySnapshot, language: str | None = None) -> Page:
    """One page of published letters; the total comes from the tally the caller read, not from COUNT(*)."""
    total = counted.letters if language is None else counted.letters_in(language)
    pages = count_pages(number, per_page, total)
    query = published_letters(language).limit(per_page).offset((number - 1) * per_page)
    return Page(list(db.session.execute(query).scalars()), number, pages, total)


def published_letter(public_id: str) -> Letter | None:
    """A published letter by its public id, or None (unknown and non-public letters alike)."""
    if not looks_like_public_id(public_id):
        return None
    return db.session.execute(
        select(Letter).where(Letter.public_id == public_id, Letter.status == LetterStatus.PUBLISHED)
    ).scalar_one_or_none()


@dataclass(frozen=True)
class Neighbours:
    """The published letters just before and just after one, in publication order (None at the ends)."""

    older: Letter | None
    newer: Letter | None


def neighbours(letter: Letter) -> Neighbours:
    def beside(before: bool) -> Letter | None:
        moment, key = letter.published_at, letter.id
        if before:
            where = or_(Letter.published_at < moment, and_(Letter.published_at == moment, Letter.id < key))
            order = (Letter.published_at.desc(), Letter.id.desc())
        else:
            where = or_(Letter.published_at > moment, and_(Letter.published_at == moment, Letter.id > key))
            order = (Letter.published_at.asc(), Letter.id.asc())
        query = select(Letter).where(Letter.status == LetterStatus.PUBLISHED, where).order_by(*order).limit(1)
        return db.session.execute(query).scalar_one_or_none()

    return Neighbours(older=beside(True), newer=beside(False))


# --- the press ---------------------------------------------------------------------------------------


def publications_by_day(timezone: str) -> list[tuple[date, int, int]]:
    """How many of the refusers public now were published on each day (in `timezone`), oldest first:
    (day, letters, co-signatures), letters by their publication, co-signatures by theirs. Cached
    with the public pages, so it runs once per public revision.
    """
    zone = ZoneInfo(timezone)
    days: dict[date, list[int]] = {}
    signed = (
        select(Signature.published_at)
        .join(Letter, Signature.letter_id == Letter.id)
        .where(Signature.status == SignatureStatus.PUBLISHED, Letter.status == LetterStatus.PUBLISHED)
    )
    for kind, query in enumerate((select(Letter.published_at).where(Letter.status == LetterStatus.PUBLISHED), signed)):
        for (moment,) in db.session.execute(query):
            counts = days.setdefault(moment.astimezone(zone).date(), [0, 0])
            counts[kind] += 1
    return [(day, letters, signatures) for day, (letters, signatures) in sorted(days.items())]


@dataclass(frozen=True)
class Change:
    """A change after which cached PDFs must not show what a letter showed before (see taken_away)."""

    public_id: str
    compilations: bool  # compilations may show what went (the letter, a signer, an earlier text)
    contents: bool  # pages of contents may show it (its name, its title)
    at: datetime


def taken_away(since: datetime) -> list[Change]:
    """What was taken from the public since `since`: letters withdrawn, unpublished, paused or rejected
    (the compilations and contents held them if they had been published), letters corrected (their
    earlier text and name), and letters a published signer left or hid for now (their names under the letter)."""
    gone = select(Letter.public_id, Letter.published_at.is_not(None), Letter.updated_at).where(
        Letter.status.in_([LetterStatus.WITHDRAWN, LetterStatus.UNPUBLISHED, LetterStatus.PAUSED, LetterStatus.REJECTED]),
        Letter.updated_at >= since,
    )
    corrected = select(Letter.public_id, Letter.corrected_at).where(Letter.corrected_at >= since)
    left = (
        select(Letter.public_id, func.max(Signature.decided_at))
        .join(Signature, Signature.letter_id == Letter.id)
        .where(Signature.status.in_([SignatureStatus.WITHDRAWN, SignatureStatus.UNPUBLISHED, SignatureStatus.PAUSED]), Signature.decided_at >= since)
        .group_by(Letter.public_id)
    )
    changes = [Change(public_id, bool(shown), bool(shown), at) for public_id, shown, at in db.session.execute(gone)]
    changes += [Change(public_id, True, True, at) for public_id, at in db.session.execute(corrected)]
    changes += [Change(public_id, True, False, at) for public_id, at in db.session.execute(left)]
    return changes


def publication_span(language: str | None = None) -> tuple[datetime, datetime] | None:
    """When the first and the last of the published letters (of `language`) were published, if any."""
    query = select(func.min(Letter.published_at), func.max(Letter.published_at)).where(Letter.status == LetterStatus.PUBLISHED)
    if language is not None:
        query = query.where(Letter.language == Language(language).value)
    first, last = db.session.execute(query).one()
    return (first, last) if first is not None else None


def compilation_letters(*, language: str | None = None, since: datetime | None = None, until: datetime | None = None) -> list[Letter]:
    """Published letters for a press compilation: oldest first, in publication order."""
    query = select(Letter).where(Letter.status == LetterStatus.PUBLISHED)
    if language is not None:
        query = query.where(Letter.language == Language(language).value)
    if since is not None:
        query = query.where(Letter.published_at >= since)
    if until is not None:
        query = query.where(Letter.published_at < until)
    return list(db.session.execute(query.order_by(Letter.published_at.asc(), Letter.id.asc())).scalars())
