"""The safety pause: a published letter hidden for now (status "paused"), and who hid it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

STATUSES_BEFORE = "'unconfirmed', 'pending', 'scheduled', 'published', 'rejected', 'withdrawn', 'unpublished'"
STATUSES_AFTER = "'unconfirmed', 'pending', 'scheduled', 'published', 'rejected', 'withdrawn', 'unpublished', 'paused'"


def upgrade() -> None:
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paused_by", sa.String(length=16), nullable=True))
        batch_op.drop_constraint(op.f("ck_letters_status"), type_="check")
        batch_op.create_check_constraint("status", f"status IN ({STATUSES_AFTER})")


def downgrade() -> None:
    # A paused letter was public and chose to hide: without the state, it is taken down (not
    # published again behind its author's back). Its tally was already without it.
    op.execute("UPDATE letters SET status = 'unpublished' WHERE status = 'paused'")
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_letters_status"), type_="check")
        batch_op.create_check_constraint("status", f"status IN ({STATUSES_BEFORE})")
        batch_op.drop_column("paused_by")
