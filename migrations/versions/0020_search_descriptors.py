"""The search index keeps the terms of the descriptors apart (letter_search.descriptors), so that
the list's descriptor filter matches ranks, units and roles only: it read the names too, sharing
`people` with them, and "medic" chose the letter of a man named Medic.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

from refusal_site.search import joined_terms

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

letter_search = sa.table("letter_search", sa.column("letter_id", sa.Integer), sa.column("descriptors", sa.Text))
letters = sa.table("letters", sa.column("id", sa.Integer), sa.column("descriptor", sa.String))
signatures = sa.table("signatures", sa.column("letter_id", sa.Integer), sa.column("status", sa.String), sa.column("descriptor", sa.String))


# Plain ALTER TABLE on both databases (SQLite has both since 3.35): a batch operation would copy
# letter_search on SQLite, leaving behind the triggers that keep its FTS5 table (migration 0016).
def upgrade() -> None:
    op.add_column("letter_search", sa.Column("descriptors", sa.Text(), nullable=False, server_default=""))
    _fill()


def _fill() -> None:
    """The descriptors of the letters indexed already, as search.index_row() gives them."""
    connection = op.get_bind()
    signed: dict[int, list[str | None]] = {}
    for letter_id, descriptor in connection.execute(
        sa.select(signatures.c.letter_id, signatures.c.descriptor).where(signatures.c.status == "published")
    ):
        signed.setdefault(letter_id, []).append(descriptor)
    indexed = connection.execute(
        sa.select(letters.c.id, letters.c.descriptor).join(letter_search, letter_search.c.letter_id == letters.c.id).order_by(letters.c.id)
    )
    while batch := indexed.fetchmany(1000):
        rows = [{"id_": letter_id, "terms": joined_terms([descriptor, *signed.get(letter_id, ())])} for letter_id, descriptor in batch]
        rows = [row for row in rows if row["terms"]]
        if rows:
            op.get_bind().execute(
                letter_search.update().where(letter_search.c.letter_id == sa.bindparam("id_")).values(descriptors=sa.bindparam("terms")), rows
            )


def downgrade() -> None:
    op.execute("ALTER TABLE letter_search DROP COLUMN descriptors")
