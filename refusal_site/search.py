"""Search over the published letters: the index (one row of terms per published letter, kept in the
transaction of every change of what is public), the ranked query, and excerpts with the words found.

What a letter is found by is search_text's: the terms of its title, its text, its author's name and
descriptor, its published co-signers' names and descriptors, and the titles and texts of its public
translations (so a reader abroad finds a Hebrew letter by the English words its author approved),
stored in `letter_search` as three space-joined fields (title, people, body), and the terms of the
descriptors alone as a fourth (descriptors: for the descriptor filter, which names must not meet;
not searched, as people holds them too). A query's terms are looked up by equality, all of them
(AND), so both databases find exactly the same letters. Each looks them up with machinery of its own,
made by the migration: SQLite an FTS5 table over the three fields (the `ascii` tokenizer splits only
at ASCII punctuation and spaces, and our terms hold none, so each term is one token), PostgreSQL a GIN
index over the fields' terms as an array (`@>`). Terms reach the database as bound parameters; on
SQLite they are also quoted as FTS5 strings, so no term is ever read as query syntax.

The rank is the same on both databases, computed from the row's two short fields: a term counts 1,
plus TITLE_WEIGHT if the title holds it, plus PEOPLE_WEIGHT if a name or descriptor does. Ties (most
results of a one-word query) are broken by the caller, newest first. Neither database's own scoring
is used: FTS5's bm25() and PostgreSQL's ts_rank() disagree, and ts_rank reads every match's whole
vector, which for a common word is most letters.
"""

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from datetime import datetime

from markupsafe import Markup, escape
from sqlalchemy import ColumnElement, Float, Select, Subquery, case, cast, column, delete, exists, false, func, insert, literal, literal_column, quoted_name, select, table, type_coerce
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased
from sqlalchemy.types import Text

from . import search_text, tally
from .extensions import db
from .models import Language, Letter, LetterSearch, LetterStatus, Signature, SignatureStatus, Translation, UTCDateTime
from .storage import write_transaction

# What a query term adds to a letter's rank when its title, or a name or descriptor, holds it.
TITLE_WEIGHT = 4
PEOPLE_WEIGHT = 2


# --- the index ----------------------------------------------------------------------------------


def joined_terms(texts: Iterable[str | None]) -> str:
    """The index terms of these texts as one field: distinct, sorted, space-joined."""
    return " ".join(sorted(search_text.index_terms(text for text in texts if text)))


def index_row(letter: dict, signers: Iterable[tuple[str, str | None]], translations: Iterable[tuple[str | None, str]] = ()) -> dict:
    """A letter's row of `letter_search`, from its public fields (id, published_at, language, title,
    display_name, descriptor, body_text), its published co-signers' (name, descriptor) and its public
    translations' (title, text)."""
    signers = list(signers)
    people = [letter["display_name"], letter["descriptor"], *(text for signer in signers for text in signer)]
    translations = list(translations)
    return {
        "letter_id": letter["id"],
        "published_at": letter["published_at"],
        "language": letter["language"],
        "title": joined_terms([letter["title"], *(title for title, _ in translations)]),
        "people": joined_terms(people),
        "body": joined_terms([letter["body_text"], *(text for _, text in translations)]),
        "descriptors": joined_terms([letter["descriptor"], *(descriptor for _, descriptor in signers)]),
    }


_FIELDS = (Letter.id, Letter.published_at, Letter.language, Letter.title, Letter.display_name, Letter.descriptor, Letter.body_text)


def reindex(letter_ids: Sequence[int]) -> None:
    """Make these letters' index rows what the public sees of them now: a row for each published
    one, none for the others. Inside the caller's write transaction, with the letters locked."""
    if not letter_ids:
        return
    db.session.flush()
    db.session.execute(delete(LetterSearch).where(LetterSearch.letter_id.in_(letter_ids)))
    public = [row._asdict() for row in db.session.execute(select(*_FIELDS).where(Letter.id.in_(letter_ids), Letter.status == LetterStatus.PUBLISHED))]
    if not public:
        return
    signers: dict[int, list[tuple[str, str | None]]] = {}
    for letter_id, name, descriptor in db.session.execute(
        select(Signature.letter_id, Signature.display_name, Signature.descriptor).where(
            Signature.letter_id.in_([letter["id"] for letter in public]), Signature.status == SignatureStatus.PUBLISHED
        )
    ):
        signers.setdefault(letter_id, []).append((name, descriptor))
    translations: dict[int, list[tuple[str | None, str]]] = {}
    for letter_id, title, body_text in db.session.execute(
        select(Translation.letter_id, Translation.title, Translation.body_text)
        .join(Letter, Translation.letter_id == Letter.id)
        .where(Translation.letter_id.in_([letter["id"] for letter in public]), Translation.public_clause())
    ):
        translations.setdefault(letter_id, []).append((title, body_text))
    rows = [index_row(letter, signers.get(letter["id"], ()), translations.get(letter["id"], ())) for letter in public]
    db.session.execute(insert(LetterSearch), rows)


def reindex_letter(letter: Letter) -> None:
    """reindex() one letter: after each change of whether it is public, of its public fields, of its
    published co-signers or of its public translations (beside the tally's call for that change)."""
    reindex([letter.id])


def rebuild(*, batch: int = 1000) -> int:
    """Index every published letter afresh (the index is derived data: after a change of search_text's
    rules, or to repair it), in one write transaction; return how many letters are indexed."""
    indexed, after = 0, 0
    with write_transaction():
        tally.lock()  # as every public change does first: none can index a letter meanwhile
        db.session.execute(delete(LetterSearch))
        while ids := list(
            db.session.execute(
                select(Letter.id).where(Letter.id > after, Letter.status == LetterStatus.PUBLISHED).order_by(Letter.id).limit(batch)
            ).scalars()
        ):
            reindex(ids)
            indexed += len(ids)
            after = ids[-1]
    return indexed


# --- the query ----------------------------------------------------------------------------------


def ranked(
    terms: list[str], *, language: str | None = None, since: datetime | None = None, until: datetime | None = None,
    also: Sequence[ColumnElement[bool]] = (),
) -> Subquery:
    """The published letters whose index holds all `terms` (as search_text.query_terms gives them), as
    (letter_id, rank, published_at): rank is a float, higher is better, the same on both databases.
    No terms (or none that is a term) find nothing. Optionally only letters in `language`, or
    published from `since` (inclusive) until `until` (exclusive), or meeting the caller's further
    conditions on the index row (`also`: a kind of letter, `descriptors_hold`).

    A query that matches more than CANDIDATES letters (within those filters) is ranked among the
    CANDIDATES latest of them (by id: the order letters were sent in); count() tells how many match.

    Take a page from this subquery's own columns (order by rank, published_at, letter_id, all
    descending; filter on published_at), then join the letters of that page alone: sorting whole
    letters, or reading a letter's row for its date, costs its text for every match."""
    terms = _usable(terms)
    row = LetterSearch
    if not terms:
        return select(row.letter_id, cast(literal(0), Float).label("rank"), row.published_at).where(false()).subquery("ranked")
    rank = sum(1 + TITLE_WEIGHT * _holds(row.title, term) + PEOPLE_WEIGHT * _holds(row.people, term) for term in terms)
    matching = _matching(terms, [*_within(language, since, until), *also])
    if _sqlite():
        latest = matching.order_by(_FTS.c.rowid.desc()).limit(CANDIDATES)  # FTS5 reads its matches newest first
    else:
        # All matches through the GIN index first: given the LIMIT, PostgreSQL's planner would walk
        # the primary key backwards instead, reading each row's text to test its terms.
        found = matching.cte("matching").prefix_with("MATERIALIZED")
        latest = select(found.c.letter_id).order_by(found.c.letter_id.desc()).limit(CANDIDATES)
    return select(row.letter_id, cast(rank, Float).label("rank"), row.published_at).where(row.letter_id.in_(latest)).subquery("ranked")


def dated(
    terms: list[str], *, language: str | None = None, since: datetime | None = None, until: datetime | None = None,
    also: Sequence[ColumnElement[bool]] = (),
) -> Subquery:
    """Every published letter whose index holds all `terms`, within ranked()'s filters, as
    (letter_id, published_at): for a page newest first of a search that few letters match, taken as
    from ranked() (order and filter on this subquery's own columns, then join that page's letters).
    The matches are found through the index first: walking the letters newest first instead, each
    read asks that letter's terms, a hundred reads for each letter shown of a word in one in a hundred."""
    terms = _usable(terms)
    if not terms:
        return select(LetterSearch.letter_id, LetterSearch.published_at).where(false()).subquery("dated")
    found = _matching(terms, [*_within(language, since, until), *also], dated=True)
    if _sqlite():
        return found.subquery("dated")
    kept = found.cte("dated_matches").prefix_with("MATERIALIZED")  # as in ranked(): the GIN index first
    return select(kept.c.letter_id, kept.c.published_at).subquery("dated")


def count(
    terms: list[str], *, language: str | None = None, since: datetime | None = None, until: datetime | None = None,
    also: Sequence[ColumnElement[bool]] = (),
) -> int:
    """How many published letters hold all `terms`, within ranked()'s filters (however many it ranks)."""
    return db.session.execute(select(func.count()).select_from(holding(terms, language=language, since=since, until=until, also=also).subquery())).scalar_one()


def holding(
    terms: list[str], *, language: str | None = None, since: datetime | None = None, until: datetime | None = None,
    also: Sequence[ColumnElement[bool]] = (),
) -> Select:
    """The ids of every published letter that holds all `terms`, within ranked()'s filters, unranked
    and unbounded (a filter of the list, as Letter.id.in_(...)). No usable term finds nothing."""
    terms = _usable(terms)
    if not terms:
        return select(LetterSearch.letter_id).where(false())
    return _matching(terms, [*_within(language, since, until), *also])


def matched_id():
    """The matched letter's id in the queries of ranked(), count() and holding(), for a condition of
    `also` on other rows (correlated by it: the row read while matching differs by database)."""
    return _FTS.c.rowid if _sqlite() else LetterSearch.letter_id


def descriptors_hold(term: str) -> ColumnElement[bool]:
    """A condition for `also`: a descriptor (rank, unit, role) of the letter's author or of one of its
    published co-signers holds this term (a name that holds it does not count)."""
    row = aliased(LetterSearch)
    return exists().where(row.letter_id == matched_id(), (literal(" ") + row.descriptors + " ").contains(f" {term} ", autoescape=True))


# The most letters a query is ranked among: the cost of ranking is then bounded, however common its
# words (a word in half the letters matches 50,000 of 100,000; see docs/benchmarks.md, `search`).
# The list shows a search that finds more newest first instead (published.letter_slice).
CANDIDATES = 1000


def _usable(terms: list[str]) -> list[str]:
    """The distinct terms that are normalized terms (anything else names no term), at most as many as a query has."""
    return [term for term in dict.fromkeys(terms) if search_text.words(term) == [term]][: search_text.MAX_QUERY_TERMS]


def _holds(field, term: str):
    """1 if the space-joined field holds the term, else 0 (the same LIKE on both databases)."""
    return case(((literal(" ") + field + " ").contains(f" {term} ", autoescape=True), 1), else_=0)


# SQLite: the FTS5 table over letter_search (rowid = letter_id), made by the migration.
_FTS = table("letter_search_fts", column("rowid"), column("letter_search_fts"))


# SQLite: letter_search read through its covering index (see the index's comment in models/search.py),
# which the planner does not choose over the row by its rowid unless told.
_COVERED = table(quoted_name("letter_search AS covered INDEXED BY ix_letter_search_letter_id_language_published_at", quote=False))
_COVERED_COLUMNS = {
    "letter_id": literal_column("covered.letter_id"),
    "language": literal_column("covered.language"),
    "published_at": literal_column("covered.published_at", UTCDateTime()),
}


def _sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def _within(language: str | None, since: datetime | None, until: datetime | None) -> list:
    """ranked()'s filters, on the index's own columns."""
    row = _COVERED_COLUMNS if _sqlite() else {"language": LetterSearch.language, "published_at": LetterSearch.published_at}
    return [
        *([row["language"] == Language(language).value] if language is not None else []),
        *([row["published_at"] >= since] if since is not None else []),
        *([row["published_at"] < until] if until is not None else []),
    ]


def _matching(terms: list[str], within: list, *, dated: bool = False):
    """The ids of the rows holding every term and meeting `within`, found through each database's own
    index (see the docstring); `dated`: as (letter_id, published_at)."""
    if _sqlite():
        # Each term an FTS5 string ("" inside one stands for "); strings side by side must all be there.
        match = " ".join('"' + term.replace('"', '""') + '"' for term in terms)
        query = select(_FTS.c.rowid).where(_FTS.c.letter_search_fts.op("MATCH")(match))
        if not within and not dated:
            return query
        if dated:
            query = select(_FTS.c.rowid.label("letter_id"), _COVERED_COLUMNS["published_at"].label("published_at")).where(query.whereclause)
        return query.join(_COVERED, _COVERED_COLUMNS["letter_id"] == _FTS.c.rowid).where(*within)
    holding = index_terms_array().op("@>")(cast(type_coerce(terms, ARRAY(Text)), ARRAY(Text)))
    columns = (LetterSearch.letter_id, LetterSearch.published_at) if dated else (LetterSearch.letter_id,)
    return select(*columns).where(holding, *within)


def index_terms_array():
    """PostgreSQL: a row's terms as one array, by the function its GIN index is made on (the
    migration's; the index serves a query only if the query calls the same function)."""
    return func.letter_search_terms(LetterSearch.title, LetterSearch.people, LetterSearch.body, type_=ARRAY(Text))


# --- what a result shows --------------------------------------------------------------------------

_TOKEN = re.compile(r"\S+")
_SPACE = re.compile(r"\s+")


def excerpt(letter: Letter, terms: list[str], *, words: int = 40) -> Markup:
    """About `words` words of the letter's text around the first word these terms find (from its
    start if its text holds none), escaped, the words found wrapped in <mark>, with an ellipsis
    where the text goes on."""
    text = letter.body_text
    tokens = [(match.start(), match.end()) for match in _TOKEN.finditer(text)]
    if not tokens:
        return Markup("")
    spans = search_text.matching_spans(text, terms)
    first = bisect_right([start for start, _ in tokens], spans[0][0]) - 1 if spans else 0
    # A little of what comes before the first match, so it is read in its sentence.
    start = max(0, min(first - words // 4, len(tokens) - words))
    end = min(len(tokens), start + words)
    marked = _marked(text, tokens[start][0], tokens[end - 1][1], spans)
    return Markup("{}{}{}").format("… " if start > 0 else "", marked, " …" if end < len(tokens) else "")


def highlight(text: str, terms: list[str]) -> Markup:
    """A short text (a title, a name) escaped, with the words these terms find wrapped in <mark>."""
    return _marked(text, 0, len(text), search_text.matching_spans(text, terms))


def _marked(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> Markup:
    """text[start:end] escaped, its white space runs made one space, `spans` inside it in <mark>."""
    pieces, cursor = [], start
    for span_start, span_end in spans:
        if start <= span_start and span_end <= end:
            pieces += [escape(_SPACE.sub(" ", text[cursor:span_start])), Markup("<mark>{}</mark>").format(text[span_start:span_end])]
            cursor = span_end
    pieces.append(escape(_SPACE.sub(" ", text[cursor:end])))
    return Markup("").join(pieces)
