"""Mail queued in the database with the change that causes it, sent outside the request.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "queued_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template", sa.String(length=40), nullable=False),
        sa.Column("message", sa.LargeBinary(), nullable=False),
        sa.Column("letter_id", sa.Integer(), nullable=True),
        sa.Column("signature_id", sa.Integer(), nullable=True),
        sa.Column("queued_at", sa.DateTime(), nullable=False),
        sa.Column("available_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(["letter_id"], ["letters.id"], name=op.f("fk_queued_mail_letter_id_letters"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["signature_id"], ["signatures.id"], name=op.f("fk_queued_mail_signature_id_signatures"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queued_mail")),
    )
    with op.batch_alter_table("queued_mail", schema=None) as batch_op:
        # What every sender asks: which messages may be taken now.
        batch_op.create_index(batch_op.f("ix_queued_mail_available_at"), ["available_at"], unique=False)
        # Deleting a letter or a signature finds its unsent mail without a scan.
        batch_op.create_index(batch_op.f("ix_queued_mail_letter_id"), ["letter_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_queued_mail_signature_id"), ["signature_id"], unique=False)


def downgrade() -> None:
    # Unsent messages go with the table: run `flask send-mail` first to deliver them.
    op.drop_table("queued_mail")
