"""The public tally: the one row every public page starts from (how many refusers, in which language,
when the latest was published, the next embargo to end, and the public revision that keys every
cached page and PDF). This module alone writes it; letters and signatures ask it to.

One lock order for every writer: the tally, then letters, then their signatures. A change that may
touch the tally calls lock() before it locks anything else, so two writers can never wait on each
other (on SQLite, BEGIN IMMEDIATE already serializes writers). The writing functions run inside the
caller's write transaction, after lock().
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, update

from . import audit
from .audit import Actor, AuditAction
from .extensions import db
from .models import Language, Letter, LetterStatus, PublicTally, Signature, SignatureStatus
from .storage import read_one, read_raw, write_transaction

_ROW = PublicTally.id == 1


# --- writing ---------------------------------------------------------------------------------------


def lock() -> None:
    """Take the tally's row lock, first in every change that may touch the tally."""
    db.session.execute(select(PublicTally.id).where(_ROW).with_for_update())


def count_letter(letter: Letter, delta: int) -> None:
    """Count the letter in (`delta` +1) as it becomes public or out (-1) as it stops being public,
    with its published signatures."""
    count_letters({letter.language: delta}, signatures=delta * letter.signatures_published)


def count_letters(per_language: dict[str, int], *, signatures: int = 0) -> None:
    """Move the count by letters (per language) and the published signatures they bring with them,
    move the public revision, and keep the time of the latest publication."""
    columns = {getattr(PublicTally, f"letters_{Language(language).value}"): n for language, n in per_language.items()}
    db.session.flush()
    # The increment takes the tally's row lock first; on PostgreSQL the statements after it
    # then see every change committed before ours, so the latest time cannot go stale.
    db.session.execute(
        update(PublicTally)
        .where(_ROW)
        .values(
            {
                **{column: column + n for column, n in columns.items()},
                PublicTally.refusers: PublicTally.refusers + sum(per_language.values()) + signatures,
                PublicTally.signatures: PublicTally.signatures + signatures,
                PublicTally.revision: PublicTally.revision + 1,
            }
        )
    )
    latest = db.session.execute(select(func.max(Letter.published_at)).where(Letter.status == LetterStatus.PUBLISHED)).scalar_one()
    db.session.execute(update(PublicTally).where(_ROW).values(last_published_at=latest))


def count_signatures(letter: Letter, delta: int) -> None:
    """Move the count by `delta` published signatures of the letter: they count while the letter is public."""
    if letter.status == LetterStatus.PUBLISHED:
        db.session.execute(
            update(PublicTally)
            .where(_ROW)
            .values(refusers=PublicTally.refusers + delta, signatures=PublicTally.signatures + delta, revision=PublicTally.revision + 1)
        )


def bump_revision() -> None:
    """Move the public revision alone: what a public letter shows changed, not how many there are."""
    db.session.execute(update(PublicTally).where(_ROW).values(revision=PublicTally.revision + 1))


def refresh_next_release() -> None:
    """Keep the earliest embargo on the tally row, so public reads know when to release."""
    db.session.flush()
    earliest = db.session.execute(select(func.min(Letter.scheduled_at)).where(Letter.status == LetterStatus.SCHEDULED)).scalar_one()
    db.session.execute(update(PublicTally).where(_ROW).values(next_release_at=earliest))


# --- reading ---------------------------------------------------------------------------------------


def row() -> PublicTally:
    """The tally row itself, read afresh: one primary-key read."""
    return db.session.execute(select(PublicTally).where(_ROW).execution_options(populate_existing=True)).scalar_one()


@dataclass(frozen=True)
class TallySnapshot:
    """The public tally as read at one moment (what every public page starts from)."""

    refusers: int
    letters_he: int
    letters_ar: int
    letters_en: int
    last_published_at: datetime | None
    revision: int
    next_release_at: datetime | None
    signatures: int = 0

    @property
    def letters(self) -> int:
        return self.letters_he + self.letters_ar + self.letters_en

    def letters_in(self, language: str) -> int:
        return getattr(self, f"letters_{Language(language).value}")


_T = PublicTally.__table__
_SNAPSHOT = select(
    _T.c.refusers,
    _T.c.letters_he,
    _T.c.letters_ar,
    _T.c.letters_en,
    _T.c.last_published_at,
    _T.c.revision,
    _T.c.next_release_at,
    _T.c.signatures,
).where(_T.c.id == 1)


def snapshot() -> TallySnapshot:
    """The count and the public revision in one primary-key read, outside any transaction.

    This is the read every public request makes, so it skips the ORM session: its cost
    is one statement whatever the number of letters.
    """
    row = read_one(_SNAPSHOT)
    # The read engine bypasses the ORM's type decorators: hand back aware UTC like the models do.
    return TallySnapshot(*row[:4], _utc(row[4]), row[5], _utc(row[6]), row[7])


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


_REVISION = f"SELECT revision, next_release_at FROM {PublicTally.__tablename__} WHERE id = 1"


def settled_revision() -> int | None:
    """The public revision in one raw read, for requests that need nothing else; None when an
    embargo is due (it must be released first) or when the raw read fails. An embargo still to come
    costs nothing more: a request slower while one is pending would tell the public that it exists."""
    found = read_raw(_REVISION)
    if found is None or (found[1] is not None and _raw_moment(found[1]) <= datetime.now(UTC)):
        return None
    return found[0]


def _raw_moment(value: datetime | str) -> datetime:
    """A moment as the raw read hands it back: naive UTC, as a datetime (psycopg) or as text (SQLite)."""
    return (value if isinstance(value, datetime) else datetime.fromisoformat(value)).replace(tzinfo=UTC)


@dataclass(frozen=True)
class TallyDrift:
    field: str
    stored: int | datetime | None
    actual: int | datetime | None


def recount() -> dict[str, int | datetime | None]:
    """Count the public refusers from the letter rows themselves (a full scan; for checks only)."""
    per_language = dict(
        db.session.execute(
            select(Letter.language, func.count()).where(Letter.status == LetterStatus.PUBLISHED).group_by(Letter.language)
        ).all()
    )
    actual: dict[str, int | datetime | None] = {f"letters_{lang.value}": per_language.get(lang.value, 0) for lang in Language}
    actual["signatures"] = db.session.execute(
        select(func.count())
        .select_from(Signature)
        .join(Letter, Signature.letter_id == Letter.id)
        .where(Signature.status == SignatureStatus.PUBLISHED, Letter.status == LetterStatus.PUBLISHED)
    ).scalar_one()
    actual["refusers"] = sum(per_language.values()) + actual["signatures"]
    actual["last_published_at"] = db.session.execute(
        select(func.max(Letter.published_at)).where(Letter.status == LetterStatus.PUBLISHED)
    ).scalar_one()
    return actual


def check(*, repair: bool = False) -> list[TallyDrift]:
    """Compare the stored tally with a recount; with `repair`, store the recount."""
    with write_transaction():
        tally = db.session.execute(select(PublicTally).where(_ROW).with_for_update()).scalar_one_or_none()
        if tally is None:
            tally = PublicTally(id=1, refusers=0, signatures=0, letters_he=0, letters_ar=0, letters_en=0, revision=0)
            db.session.add(tally)
        actual = recount()
        drift = [TallyDrift(field, getattr(tally, field), value) for field, value in actual.items() if getattr(tally, field) != value]
        if drift and repair:
            for item in drift:
                setattr(tally, item.field, item.actual)
            tally.revision += 1
            audit.record(Actor.CLI, AuditAction.TALLY_REPAIR, None, drift={d.field: [str(d.stored), str(d.actual)] for d in drift})
        elif not repair:
            db.session.rollback()
    return drift
