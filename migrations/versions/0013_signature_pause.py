"""The safety pause for co-signatures: a published signature hidden for now (status "paused"), and
who hid it.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

STATUSES_BEFORE = "'unconfirmed', 'pending', 'published', 'rejected', 'withdrawn', 'unpublished'"
STATUSES_AFTER = "'unconfirmed', 'pending', 'published', 'rejected', 'withdrawn', 'unpublished', 'paused'"


def upgrade() -> None:
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paused_by", sa.String(length=16), nullable=True))
        batch_op.drop_constraint(op.f("ck_signatures_status"), type_="check")
        batch_op.create_check_constraint("status", f"status IN ({STATUSES_AFTER})")


def downgrade() -> None:
    # A paused signature was public and its signer (or the team) chose to hide it: without the state,
    # it is taken down (not shown again behind its signer's back). Its letter's count was already without it.
    op.execute("UPDATE signatures SET status = 'unpublished' WHERE status = 'paused'")
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_signatures_status"), type_="check")
        batch_op.create_check_constraint("status", f"status IN ({STATUSES_BEFORE})")
        batch_op.drop_column("paused_by")
