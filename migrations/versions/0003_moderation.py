"""Moderation: the scheduled (embargoed) state, earlier versions of letters, duplicate hints, one-time codes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

STATUSES_BEFORE = "'unconfirmed', 'pending', 'published', 'rejected', 'withdrawn', 'unpublished'"
STATUSES_AFTER = "'unconfirmed', 'pending', 'scheduled', 'published', 'rejected', 'withdrawn', 'unpublished'"


def upgrade() -> None:
    op.create_table(
        "letter_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("letter_id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("descriptor", sa.String(length=200), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("replaced_at", sa.DateTime(), nullable=False),
        sa.Column("replaced_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["letter_id"], ["letters.id"], name=op.f("fk_letter_versions_letter_id_letters"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["replaced_by_id"], ["moderators.id"], name=op.f("fk_letter_versions_replaced_by_id_moderators")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letter_versions")),
    )
    with op.batch_alter_table("letter_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_letter_versions_letter_id"), ["letter_id"], unique=False)

    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("text_simhash", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("name_key", sa.String(length=120), nullable=False, server_default=""))
        batch_op.drop_constraint(op.f("ck_letters_status"), type_="check")
        batch_op.create_check_constraint("status", f"status IN ({STATUSES_AFTER})")
        batch_op.create_index(batch_op.f("ix_letters_name_key"), ["name_key"], unique=False)
        batch_op.create_index("ix_letters_status_confirmed_at", ["status", "confirmed_at"], unique=False)
        batch_op.create_index("ix_letters_status_scheduled_at", ["status", "scheduled_at"], unique=False)
    # Existing letters get an approximate name key; their text fingerprint stays 0 (no near-duplicate
    # hints for them) until a moderator edits them.
    op.execute("UPDATE letters SET name_key = lower(display_name)")
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.alter_column("text_simhash", server_default=None)
        batch_op.alter_column("name_key", server_default=None)

    with op.batch_alter_table("moderators", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_required", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("moderators", schema=None) as batch_op:
        batch_op.alter_column("totp_required", server_default=None)

    with op.batch_alter_table("public_tally", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_release_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    # Embargoed letters go back to the queue: the old schema has no such state.
    op.execute("UPDATE letters SET status = 'pending' WHERE status = 'scheduled'")
    with op.batch_alter_table("public_tally", schema=None) as batch_op:
        batch_op.drop_column("next_release_at")
    with op.batch_alter_table("moderators", schema=None) as batch_op:
        batch_op.drop_column("totp_required")
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.drop_index("ix_letters_status_scheduled_at")
        batch_op.drop_index("ix_letters_status_confirmed_at")
        batch_op.drop_index(batch_op.f("ix_letters_name_key"))
        batch_op.drop_constraint(op.f("ck_letters_status"), type_="check")
        batch_op.create_check_constraint("status", f"status IN ({STATUSES_BEFORE})")
        batch_op.drop_column("name_key")
        batch_op.drop_column("text_simhash")
    with op.batch_alter_table("letter_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_letter_versions_letter_id"))
    op.drop_table("letter_versions")
