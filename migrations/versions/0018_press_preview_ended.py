"""A press preview ends for good when its embargo's last letter leaves it (lifted, moved, withdrawn,
rejected or published early): letters scheduled for that moment later are not for its journalists.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("press_previews", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ended_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("press_previews", schema=None) as batch_op:
        batch_op.drop_column("ended_at")
