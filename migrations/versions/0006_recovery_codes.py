"""Recovery codes for a lost authenticator; sign-in failures counted within a window.

Single-use recovery codes are kept as hashes, one row each. moderators.failures_since is when the
current run of failed sign-ins began: failures older than the lockout no longer count.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("moderators", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failures_since", sa.DateTime(), nullable=True))
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("moderator_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["moderator_id"], ["moderators.id"], name=op.f("fk_recovery_codes_moderator_id_moderators"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
    )
    with op.batch_alter_table("recovery_codes", schema=None) as batch_op:
        # The code step looks up one moderator's codes.
        batch_op.create_index(batch_op.f("ix_recovery_codes_moderator_id"), ["moderator_id"], unique=False)


def downgrade() -> None:
    # Moderators keep their one-time codes; only the recovery codes are lost.
    op.drop_table("recovery_codes")
    with op.batch_alter_table("moderators", schema=None) as batch_op:
        batch_op.drop_column("failures_since")
