"""letters.corrected_at: when a moderator last changed what the public had already seen.

Letters corrected before this revision get the time of their last correction made while they were
published (an earlier version replaced after publication), so no correction goes unannounced.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("corrected_at", sa.DateTime(), nullable=True))
    op.execute(
        "UPDATE letters SET corrected_at = ("
        " SELECT max(v.replaced_at) FROM letter_versions v"
        " WHERE v.letter_id = letters.id AND v.replaced_at > letters.published_at"
        ") WHERE published_at IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.drop_column("corrected_at")
