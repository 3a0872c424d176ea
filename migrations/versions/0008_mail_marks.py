"""mail_marks: what the per-recipient mail limit counts.

One row per message anyone could cause by typing an address (confirmations, links, sign-again),
with a keyed hash of the normalized address instead of the address, pruned after a day.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient_key", sa.String(length=64), nullable=False),
        sa.Column("template", sa.String(length=40), nullable=False),
        sa.Column("queued_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_marks")),
    )
    with op.batch_alter_table("mail_marks", schema=None) as batch_op:
        # Counting one recipient's recent messages; pruning what is older than a day.
        batch_op.create_index("ix_mail_marks_recipient_key_queued_at", ["recipient_key", "queued_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_mail_marks_queued_at"), ["queued_at"], unique=False)


def downgrade() -> None:
    op.drop_table("mail_marks")
