"""What moderators read about letters: the queue in its order, how many letters are in each state,
and for one letter its possible duplicates, its audit trail and its earlier versions. Only
letters.py changes them.
"""

from sqlalchemy import func, select

from . import similarity
from .extensions import db
from .models import AuditEvent, Language, Letter, LetterStatus, LetterVersion, Moderator
from .paging import Page, count_pages

# What a moderator is asked to act on first: confirmed letters, oldest confirmation first.
QUEUE_ORDER = {
    LetterStatus.PENDING: (Letter.confirmed_at.asc(), Letter.id.asc()),
    LetterStatus.SCHEDULED: (Letter.scheduled_at.asc(), Letter.id.asc()),
}


def state_counts() -> dict[str, int]:
    """How many letters are in each state (one grouped query on the status index)."""
    counts = dict.fromkeys((s.value for s in LetterStatus), 0)
    counts.update(db.session.execute(select(Letter.status, func.count()).group_by(Letter.status)).all())
    return counts


def queue_page(number: int, per_page: int, *, status: str = LetterStatus.PENDING, language: str | None = None) -> Page:
    """One page of letters in a state for moderators: a fixed number of queries whatever the page size."""
    status = LetterStatus(status)
    query = select(Letter).where(Letter.status == status)
    count = select(func.count()).select_from(Letter).where(Letter.status == status)
    if language is not None:
        query = query.where(Letter.language == Language(language).value)
        count = count.where(Letter.language == Language(language).value)
    total = db.session.execute(count).scalar_one()
    pages = count_pages(number, per_page, total)
    order = QUEUE_ORDER.get(status, (Letter.updated_at.desc(), Letter.id.desc()))
    items = list(db.session.execute(query.order_by(*order).limit(per_page).offset((number - 1) * per_page)).scalars())
    return Page(items, number, pages, total)


def possible_duplicates(letter: Letter, *, limit: int = 10) -> list[tuple[Letter, str]]:
    """Other pending, embargoed or published letters with the same name or nearly the same text."""
    active = (LetterStatus.PENDING, LetterStatus.SCHEDULED, LetterStatus.PUBLISHED)
    same_name = db.session.execute(
        select(Letter).where(Letter.name_key == letter.name_key, Letter.status.in_(active), Letter.id != letter.id).limit(limit)
    ).scalars().all()
    found: dict[int, tuple[Letter, str]] = {other.id: (other, "name") for other in same_name}
    # Fingerprints are compared in Python: 64-bit popcounts over a few thousand integers take
    # about a millisecond, and no index can answer "within N bits" portably.
    candidates = db.session.execute(
        select(Letter.id, Letter.text_simhash).where(Letter.status.in_(active), Letter.id != letter.id, Letter.text_simhash != 0)
    ).all()
    near = [i for i, fingerprint in candidates if similarity.distance(fingerprint, letter.text_simhash) <= similarity.NEAR_DUPLICATE_BITS]
    for other in db.session.execute(select(Letter).where(Letter.id.in_(near[:limit]))).scalars():
        found[other.id] = (other, "name and text" if other.id in found else "text")
    return list(found.values())[:limit]


def letter_history(letter: Letter) -> list[AuditEvent]:
    """Every audit row about this letter, oldest first."""
    return list(db.session.execute(select(AuditEvent).where(AuditEvent.letter_id == letter.id).order_by(AuditEvent.id)).scalars())


def versions(letter: Letter) -> list[LetterVersion]:
    """Earlier versions of the letter, newest first."""
    return list(
        db.session.execute(
            select(LetterVersion).where(LetterVersion.letter_id == letter.id).order_by(LetterVersion.id.desc())
        ).scalars()
    )


def last_event_is(letter: Letter, action: str, *, by: Moderator) -> bool:
    """Whether the latest change on the letter's record is `action` by this moderator (a decision
    sent twice finds its first sending done)."""
    last = db.session.execute(select(AuditEvent).where(AuditEvent.letter_id == letter.id).order_by(AuditEvent.id.desc()).limit(1)).scalar_one_or_none()
    return last is not None and last.action == str(action) and last.actor_id == by.id
