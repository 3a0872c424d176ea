"""Collective letters: co-signatures, each published one counted as a refuser.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

STATUSES = "'unconfirmed', 'pending', 'published', 'rejected', 'withdrawn', 'unpublished'"


def upgrade() -> None:
    op.create_table(
        "signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("letter_id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("descriptor", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("submission_key", sa.String(length=64), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("email_key", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.CheckConstraint(f"status IN ({STATUSES})", name=op.f("ck_signatures_status")),
        sa.ForeignKeyConstraint(["letter_id"], ["letters.id"], name=op.f("fk_signatures_letter_id_letters"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signatures")),
        sa.UniqueConstraint("public_id", name=op.f("uq_signatures_public_id")),
        sa.UniqueConstraint("submission_key", name=op.f("uq_signatures_submission_key")),
    )
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.create_index(
            "uq_signatures_letter_id_email_key",
            ["letter_id", "email_key"],
            unique=True,
            sqlite_where=sa.text("status != 'withdrawn'"),
            postgresql_where=sa.text("status != 'withdrawn'"),
        )
        batch_op.create_index("ix_signatures_letter_id_status_confirmed_at", ["letter_id", "status", "confirmed_at", "id"], unique=False)
        batch_op.create_index("ix_signatures_status_confirmed_at", ["status", "confirmed_at"], unique=False)

    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("collective", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("signing_closed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("signatures_published", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("signers_version", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.alter_column("collective", server_default=None)
        batch_op.alter_column("signatures_published", server_default=None)
        batch_op.alter_column("signers_version", server_default=None)

    with op.batch_alter_table("public_tally", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signatures", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("public_tally", schema=None) as batch_op:
        batch_op.alter_column("signatures", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("public_tally", schema=None) as batch_op:
        batch_op.drop_column("signatures")
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.drop_column("signers_version")
        batch_op.drop_column("signatures_published")
        batch_op.drop_column("signing_closed_at")
        batch_op.drop_column("collective")
    op.drop_table("signatures")
