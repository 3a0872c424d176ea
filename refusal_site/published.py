"""What the public reads: the published letters (the list, filtered and paged by keyset; the latest;
one by its public id), how many refusers were published each day, and what the press compiles (which
letters, over which span, and what was taken from the public since a time). One query feeds the HTML list, the feed,
the API and the PDFs. Only letters.py changes what is published.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, exists, func, or_, select

from . import search
from .extensions import db
from .models import Language, Letter, LetterStatus, Signature, SignatureStatus, Translation, TranslationStatus, looks_like_public_id
from .paging import Key, PageOutOfRange, Slice, count_pages
from .tally import TallySnapshot


_NEWEST_FIRST = (Letter.published_at.desc(), Letter.id.desc())


def published_letters(language: str | None = None) -> Select[tuple[Letter]]:
    """Published letters, newest first, optionally in one language."""
    return _chosen(LetterFilter(language=language)).order_by(*_NEWEST_FIRST)


def latest_published(limit: int, language: str | None = None) -> list[Letter]:
    return list(db.session.execute(published_letters(language).limit(limit)).scalars())


# --- the list of letters: filters and keyset pages -----------------------------------------------------


@dataclass(frozen=True)
class LetterFilter:
    """Which published letters a list shows; each field left empty chooses them all. With search
    `terms` the list is the letters holding them all, best first; without, newest first."""

    language: str | None = None
    since: date | None = None  # the first day included, in `timezone`
    until: date | None = None  # the last day included
    collective: bool | None = None
    descriptor: tuple[str, ...] = ()  # search terms that a descriptor of the letter's author or co-signers holds
    terms: tuple[str, ...] = ()  # search terms (search_text.query_terms) the letter holds anywhere
    timezone: str = "UTC"  # where the days are days (the site's DISPLAY_TIMEZONE)

    @property
    def counted_by_tally(self) -> bool:
        """Whether the tally holds the number of letters chosen (no COUNT needed)."""
        return self.since is None and self.until is None and self.collective is None and not self.descriptor and not self.terms


def _start_of(day: date, timezone: str) -> datetime | None:
    """The moment `day` starts in `timezone`; None for a day at the end of the calendar (year 1, or
    the day after 9999-12-31), beyond which no letter lies, so that end of a range is left open."""
    try:
        return datetime.combine(day, time.min, ZoneInfo(timezone)).astimezone(UTC)
    except OverflowError:
        return None


def _span(chosen: LetterFilter) -> tuple[datetime | None, datetime | None]:
    """The moments the chosen days start and end (the end excluded); None: that end is open."""
    start = _start_of(chosen.since, chosen.timezone) if chosen.since else None
    try:
        end = _start_of(chosen.until + timedelta(days=1), chosen.timezone) if chosen.until else None
    except OverflowError:
        end = None
    return start, end


def _chosen(chosen: LetterFilter) -> Select[tuple[Letter]]:
    """The chosen letters, unordered (those holding the search terms too, if any)."""
    query = select(Letter).where(Letter.status == LetterStatus.PUBLISHED)
    if chosen.language is not None:
        query = query.where(Letter.language == Language(chosen.language).value)
    start, end = _span(chosen)
    if start is not None:
        query = query.where(Letter.published_at >= start)
    if end is not None:
        query = query.where(Letter.published_at < end)
    if chosen.collective is not None:
        query = query.where(Letter.collective.is_(chosen.collective))
    if chosen.terms or chosen.descriptor:
        words = [*chosen.terms, *chosen.descriptor]
        query = query.where(Letter.id.in_(search.holding(words, also=[search.descriptors_hold(term) for term in chosen.descriptor])))
    return query


def _search_filters(chosen: LetterFilter) -> dict:
    """The filters as search.ranked()'s, so that the letters it ranks are those the filters choose."""
    start, end = _span(chosen)
    also = [search.descriptors_hold(term) for term in chosen.descriptor]
    if chosen.collective is not None:
        also.append(exists().where(Letter.id == search.matched_id(), Letter.collective.is_(chosen.collective)))
    return {"language": chosen.language, "since": start, "until": end, "also": also}


def _beyond(columns: tuple, values: tuple, older: bool):
    """Rows after `values` in the list ordered by `columns`, each descending (older, or less
    relevant, ones), or before them (newer ones). The plain bound on the first column leads, so that
    an index on it takes the query straight there."""
    past = (lambda column, value: column < value) if older else (lambda column, value: column > value)
    clause = past(columns[-1], values[-1])
    for column, value in zip(reversed(columns[:-1]), reversed(values[:-1])):
        clause = or_(past(column, value), and_(column == value, clause))
    return and_(columns[0] <= values[0] if older else columns[0] >= values[0], clause)


def _page(query: Select, columns: tuple, key_of, per_page: int, after: Key | None, before: Key | None) -> tuple[list, Key | None, Key | None]:
    """One page of rows of `query` ordered by `columns` (descending), the one just after `after`
    or just before `before`, or the first; with the keys where the pages before and after it start
    (None: there is none). Newer rows that no longer fill a page are the first page, whole."""

    def values(key: Key) -> tuple:
        return (key.published_at, key.id) if len(columns) == 2 else (key.rank, key.published_at, key.id)

    def beyond(key: Key, older: bool) -> bool:
        return db.session.execute(query.where(_beyond(columns, values(key), older)).limit(1)).first() is not None

    if before is not None:
        rows = db.session.execute(query.where(_beyond(columns, values(before), older=False)).order_by(*columns).limit(per_page + 1)).all()
        if len(rows) > per_page:
            rows = rows[per_page - 1 :: -1]
            return rows, key_of(rows[0]), key_of(rows[-1]) if beyond(key_of(rows[-1]), older=True) else None
    newest = query.where(_beyond(columns, values(after), older=True)) if after else query
    rows = db.session.execute(newest.order_by(*(column.desc() for column in columns)).limit(per_page + 1)).all()
    more, rows = len(rows) > per_page, rows[:per_page]
    newer = None
    if before is None and after is not None:
        first = key_of(rows[0]) if rows else after
        newer = first if beyond(first, older=False) else None
    return rows, newer, key_of(rows[-1]) if more else None


def letter_slice(chosen: LetterFilter, per_page: int, counted: TallySnapshot, *, after: Key | None = None, before: Key | None = None) -> Slice:
    """The page of the chosen letters that starts just after `after` or ends just before `before`,
    or the first page. Newest first; a search best first, then newest, unless its letters are more
    than search.CANDIDATES (ranking them all costs a look at each): then newest first too, so that
    every one of them can be paged to. A walk keeps the order of its first page (a key says which:
    ranked or not), however many letters match meanwhile. A page is found by its key, never by
    skipping the pages before it, and a letter withdrawn since the key was written only leaves its place."""
    total = _count(chosen, counted)
    key = after or before
    ranked = bool(chosen.terms) and (key.rank is not None if key is not None else total <= search.CANDIDATES)
    if ranked:
        ranks = search.ranked([*chosen.terms, *chosen.descriptor], **_search_filters(chosen))
        columns = (ranks.c.rank, ranks.c.published_at, ranks.c.letter_id)
        rows, newer, older = _page(select(*columns), columns, lambda row: Key(row.published_at, row.letter_id, row.rank), per_page, after, before)
        items = _letters_by_id([row.letter_id for row in rows])
    elif chosen.terms and total * 10 < counted.letters:
        # Fewer than one letter in ten holds the words: their dates are read from the search index,
        # and the page's letters alone after (walking every letter newest first asks each one's terms).
        found = search.dated([*chosen.terms, *chosen.descriptor], **_search_filters(chosen))
        columns = (found.c.published_at, found.c.letter_id)
        rows, newer, older = _page(select(*columns), columns, lambda row: Key(row.published_at, row.letter_id), per_page, after, before)
        items = _letters_by_id([row.letter_id for row in rows])
    else:
        query = _chosen(chosen)
        columns = (Letter.published_at, Letter.id)
        rows, newer, older = _page(query, columns, lambda row: Key(row[0].published_at, row[0].id), per_page, after, before)
        items = [row[0] for row in rows]
    return Slice(items, total, newer, older, ranked=ranked)


def _letters_by_id(ids: list[int]) -> list[Letter]:
    """The published letters of these ids, in their order (one withdrawn meanwhile leaves its place)."""
    # By id alone: given the status too, SQLite walks its status index, every published letter.
    found = {letter.id: letter for letter in db.session.execute(select(Letter).where(Letter.id.in_(ids))).scalars() if letter.status == LetterStatus.PUBLISHED}
    return [found[id_] for id_ in ids if id_ in found]


def _count(chosen: LetterFilter, counted: TallySnapshot) -> int:
    if chosen.counted_by_tally:
        return counted.letters if chosen.language is None else counted.letters_in(chosen.language)
    if chosen.terms:
        return search.count([*chosen.terms, *chosen.descriptor], **_search_filters(chosen))
    return db.session.execute(select(func.count()).select_from(_chosen(chosen).with_only_columns(Letter.id).subquery())).scalar_one()


def start_of_page(number: int, chosen: LetterFilter, per_page: int, counted: TallySnapshot) -> Key | None:
    """Where page `number` of the old numbered list (newest first, never a search) starts: the key
    of the last letter of the page before it (None: it is the first page). PageOutOfRange for a
    page the letters do not fill."""
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
