"""The search index's table (search.py keeps it), and which database objects no model describes."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime


class LetterSearch(db.Model):
    """A published letter's search terms (search.py keeps one row per published letter, none for others):
    the terms of its title, of its people (its author's and published co-signers' names and
    descriptors) and of its text, each space-joined, distinct and sorted; and apart, the terms of
    those descriptors alone (the descriptor filter's, never searched). Each database finds the
    rows holding given terms through machinery of its own, made by the migration alone (see
    SEARCH_MACHINERY): SQLite an FTS5 table over these columns, PostgreSQL a GIN index."""

    __tablename__ = "letter_search"
    __table_args__ = (
        # Filtering a query's matches by language or date reads this, not the rows: on SQLite a row
        # with its text's terms fills a page, and a common word has tens of thousands of matches.
        Index("ix_letter_search_letter_id_language_published_at", "letter_id", "language", "published_at"),
    )

    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), primary_key=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    language: Mapped[str] = mapped_column(String(2))
    title: Mapped[str] = mapped_column(Text, default="")
    people: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    descriptors: Mapped[str] = mapped_column(Text, default="")


# The search index's objects that only one database has (migration 0016): no model describes them,
# so comparing the models with the database leaves them out.
SEARCH_MACHINERY = ("letter_search_fts", "ix_letter_search_terms")


def described_by_models(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic's include_name: whether a database object is one the models describe."""
    return not (name or "").startswith(SEARCH_MACHINERY)
