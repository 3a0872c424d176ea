"""The search index: one row of terms per published letter, found through FTS5 on SQLite and a GIN
index on PostgreSQL (see refusal_site/search.py), filled for the letters published already.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

from refusal_site.search import index_row

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# SQLite: an FTS5 table whose content is letter_search itself (nothing stored twice), kept by
# triggers; the ascii tokenizer splits only at ASCII spaces and punctuation, which no term holds.
SQLITE_UP = [
    "CREATE VIRTUAL TABLE letter_search_fts USING fts5(title, people, body, content='letter_search', content_rowid='letter_id', tokenize='ascii')",
    """CREATE TRIGGER letter_search_fts_insert AFTER INSERT ON letter_search BEGIN
        INSERT INTO letter_search_fts (rowid, title, people, body) VALUES (new.letter_id, new.title, new.people, new.body);
    END""",
    """CREATE TRIGGER letter_search_fts_delete AFTER DELETE ON letter_search BEGIN
        INSERT INTO letter_search_fts (letter_search_fts, rowid, title, people, body) VALUES ('delete', old.letter_id, old.title, old.people, old.body);
    END""",
    """CREATE TRIGGER letter_search_fts_update AFTER UPDATE ON letter_search BEGIN
        INSERT INTO letter_search_fts (letter_search_fts, rowid, title, people, body) VALUES ('delete', old.letter_id, old.title, old.people, old.body);
        INSERT INTO letter_search_fts (rowid, title, people, body) VALUES (new.letter_id, new.title, new.people, new.body);
    END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER letter_search_fts_update",
    "DROP TRIGGER letter_search_fts_delete",
    "DROP TRIGGER letter_search_fts_insert",
    "DROP TABLE letter_search_fts",
]
# PostgreSQL: a GIN index over each row's terms as one array, made by a function of our own
# (search.index_terms_array() calls it, so the planner uses the index). Its declared cost is what
# reading a row's text and splitting it costs: with the built-in functions' cost of 1, the planner
# took a scan of every row, splitting each text, for as cheap as the index for a common word (2 s
# instead of 50 ms at 100,000 letters); under 1,000 a plan's cost stays below JIT's threshold.
# A search reads the row of every letter found, for its id and date (and, for the best, its title
# and people): keep the text's terms out of line, so a common word's matches are a few pages of
# rows, not one page each.
POSTGRES_UP = [
    "ALTER TABLE letter_search SET (toast_tuple_target = 128)",
    "CREATE FUNCTION letter_search_terms(title text, people text, body text) RETURNS text[] "
    "LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 300 AS "
    "$$ BEGIN RETURN array_cat(array_cat(string_to_array(title, ' '), string_to_array(people, ' ')), string_to_array(body, ' ')); END $$",
    "CREATE INDEX ix_letter_search_terms ON letter_search USING gin (letter_search_terms(title, people, body))",
]
POSTGRES_DOWN = ["DROP INDEX ix_letter_search_terms", "DROP FUNCTION letter_search_terms(text, text, text)"]

letters = sa.table(
    "letters",
    sa.column("id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("published_at", sa.DateTime),
    sa.column("language", sa.String),
    sa.column("title", sa.String),
    sa.column("display_name", sa.String),
    sa.column("descriptor", sa.String),
    sa.column("body_text", sa.Text),
)
signatures = sa.table(
    "signatures", sa.column("letter_id", sa.Integer), sa.column("status", sa.String), sa.column("display_name", sa.String), sa.column("descriptor", sa.String)
)


def upgrade() -> None:
    search = op.create_table(
        "letter_search",
        sa.Column("letter_id", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("people", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["letter_id"], ["letters.id"], name=op.f("fk_letter_search_letter_id_letters"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("letter_id", name=op.f("pk_letter_search")),
    )
    op.create_index("ix_letter_search_letter_id_language_published_at", "letter_search", ["letter_id", "language", "published_at"])
    for statement in SQLITE_UP if op.get_bind().dialect.name == "sqlite" else POSTGRES_UP:
        op.execute(statement)
    _fill(search)


def _fill(search: sa.Table) -> None:
    """Index the letters published already, as search.reindex() does."""
    connection = op.get_bind()
    signers: dict[int, list[tuple[str, str | None]]] = {}
    for letter_id, name, descriptor in connection.execute(
        sa.select(signatures.c.letter_id, signatures.c.display_name, signatures.c.descriptor).where(signatures.c.status == "published")
    ):
        signers.setdefault(letter_id, []).append((name, descriptor))
    published = connection.execute(sa.select(*letters.c).where(letters.c.status == "published").order_by(letters.c.id))
    while batch := published.fetchmany(1000):
        # The row's fields of this revision's table (index_row gives later revisions' too).
        rows = [index_row(letter._asdict(), signers.get(letter.id, ())) for letter in batch]
        op.bulk_insert(search, [{name: row[name] for name in search.c.keys()} for row in rows])


def downgrade() -> None:
    for statement in SQLITE_DOWN if op.get_bind().dialect.name == "sqlite" else POSTGRES_DOWN:
        op.execute(statement)
    op.drop_table("letter_search")
