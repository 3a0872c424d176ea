"""What the public reads: the published letters (the list, filtered and paged by keyset; the latest;
one by its public id), how many refusers were published each day, and what the press compiles (which
letters, over which span, and what was taken from the public since a time). One query feeds the HTML list, the feed,
the API and the PDFs. Only letters.py changes what is published.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, func, or_, select

from .extensions import db
from .models import Language, Letter, LetterStatus, Signature, SignatureStatus, Translation, TranslationStatus, looks_like_public_id
from .paging import Key, PageOutOfRange, Slice, count_pages
from .tally import TallySnapshot


def published_letters(language: str | None = None) -> Select[tuple[Letter]]:
    """Published letters, newest first, optionally in one language."""
    return _chosen(LetterFilter(language=language)).order_by(*_NEWEST_FIRST)


def latest_published(limit: int, language: str | None = None) -> list[Letter]:
    return list(db.session.execute(published_letters(language).limit(limit)).scalars())


# --- the list of letters: filters and keyset pages -----------------------------------------------------


@dataclass(frozen=True)
class LetterFilter:
    """Which published letters a list shows; each field left empty chooses them all."""

    language: str | None = None
    since: date | None = None  # the first day included, in `timezone`
    until: date | None = None  # the last day included
    collective: bool | None = None
    timezone: str = "UTC"  # where the days are days (the site's DISPLAY_TIMEZONE)

    @property
    def counted_by_tally(self) -> bool:
        """Whether the tally holds the number of letters chosen (no COUNT needed)."""
        return self.since is None and self.until is None and self.collective is None


_NEWEST_FIRST = (Letter.published_at.desc(), Letter.id.desc())
_OLDEST_FIRST = (Letter.published_at.asc(), Letter.id.asc())


def _start_of(day: date, timezone: str) -> datetime | None:
    """The moment `day` starts in `timezone`; None for a day at the end of the calendar (year 1, or
    the day after 9999-12-31), beyond which no letter lies, so that end of a range is left open."""
    try:
        return datetime.combine(day, time.min, ZoneInfo(timezone)).astimezone(UTC)
    except OverflowError:
        return None


def _chosen(chosen: LetterFilter) -> Select[tuple[Letter]]:
    query = select(Letter).where(Letter.status == LetterStatus.PUBLISHED)
    if chosen.language is not None:
        query = query.where(Letter.language == Language(chosen.language).value)
    if chosen.since is not None and (start := _start_of(chosen.since, chosen.timezone)) is not None:
        query = query.where(Letter.published_at >= start)
    if chosen.until is not None:
        try:
            end = _start_of(chosen.until + timedelta(days=1), chosen.timezone)
        except OverflowError:
            end = None
        if end is not None:
            query = query.where(Letter.published_at < end)
    if chosen.collective is not None:
        query = query.where(Letter.collective.is_(chosen.collective))
    return query


def _beyond(key: Key, older: bool):
    """Letters after `key` in the list (older ones) or before it (newer ones). The plain bound on the
    time first, so that the index on (status, published_at) takes the query straight there."""
    moment, id_ = key.published_at, key.id
    if older:
        return and_(Letter.published_at <= moment, or_(Letter.published_at < moment, Letter.id < id_))
    return and_(Letter.published_at >= moment, or_(Letter.published_at > moment, Letter.id > id_))


def _key(letter: Letter) -> Key:
    return Key(letter.published_at, letter.id)


def letter_slice(chosen: LetterFilter, per_page: int, counted: TallySnapshot, *, after: Key | None = None, before: Key | None = None) -> Slice:
    """The page of the chosen letters, newest first, that starts just after `after` (older letters)
    or ends just before `before` (newer ones), or the first page. A page is found by its key, never
    by skipping the pages before it, and a letter withdrawn since the key was written only leaves
    its place. Newer letters that no longer fill a page are the first page, whole."""
    query = _chosen(chosen)
    items: list[Letter] = []
    if before is not None:
        rows = list(db.session.execute(query.where(_beyond(before, older=False)).order_by(*_OLDEST_FIRST).limit(per_page + 1)).scalars())
        if len(rows) > per_page:
            items = rows[per_page - 1 :: -1]
            older = _exists(query, _key(items[-1]), older=True)
            return Slice(items, _count(chosen, counted), _key(items[0]), _key(items[-1]) if older else None)
    rows = list(db.session.execute((query.where(_beyond(after, older=True)) if after else query).order_by(*_NEWEST_FIRST).limit(per_page + 1)).scalars())
    items = rows[:per_page]
    newer = None
    if before is None and after is not None:
        first = _key(items[0]) if items else after
        newer = first if _exists(query, first, older=False) else None
    return Slice(items, _count(chosen, counted), newer, _key(items[-1]) if len(rows) > per_page else None)


def _exists(query: Select, key: Key, older: bool) -> bool:
    return db.session.execute(query.with_only_columns(Letter.id).where(_beyond(key, older)).limit(1)).first() is not None


def _count(chosen: LetterFilter, counted: TallySnapshot) -> int:
    if chosen.counted_by_tally:
        return counted.letters if chosen.language is None else counted.letters_in(chosen.language)
    return db.session.execute(select(func.count()).select_from(_chosen(chosen).with_only_columns(Letter.id).subquery())).scalar_one()


def start_of_page(number: int, chosen: LetterFilter, per_page: int, counted: TallySnapshot) -> Key | None:
    """Where page `number` of the old numbered list starts: the key of the last letter of the page
    before it (None: it is the first page). PageOutOfRange for a page the letters do not fill."""
    count_pages(number, per_page, _count(chosen, counted))
    if number == 1:
        return None
    query = _chosen(chosen).with_only_columns(Letter.published_at, Letter.id).order_by(*_NEWEST_FIRST)
    row = db.session.execute(query.offset((number - 1) * per_page - 1).limit(1)).first()
    if row is None:
        raise PageOutOfRange(f"page {number}")
    return Key(row.published_at, row.id)


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
    earlier text and name), letters a published signer left or hid for now (their names under the letter),
    and letters whose approved translation stopped being public (its words, its title in the contents)."""
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
    untranslated = (
        select(Letter.public_id, func.max(Translation.updated_at))
        .join(Translation, Translation.letter_id == Letter.id)
        .where(Translation.approved_at.is_not(None), Translation.status != TranslationStatus.APPROVED, Translation.updated_at >= since)
        .group_by(Letter.public_id)
    )
    changes = [Change(public_id, bool(shown), bool(shown), at) for public_id, shown, at in db.session.execute(gone)]
    changes += [Change(public_id, True, True, at) for public_id, at in db.session.execute(untranslated)]
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
