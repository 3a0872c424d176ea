"""A press preview remembers the form post that made it (its submission key, and which line of the
post's list of journalists it is for), so that the same form posted twice makes its links once.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("press_previews", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submission_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("submission_line", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_press_previews_submission_key"), ["submission_key", "submission_line"])


def downgrade() -> None:
    with op.batch_alter_table("press_previews", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_press_previews_submission_key"), type_="unique")
        batch_op.drop_column("submission_line")
        batch_op.drop_column("submission_key")
