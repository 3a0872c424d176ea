"""Contact messages for the moderators' inbox, and admins' texts of the About and Privacy pages.

contact_messages: what visitors send through the contact form (name and reply address optional),
deleted CONTACT_RETENTION_DAYS after a moderator marks it handled. site_pages: one row per page and
language that an admin has edited; a page without its row shows its default text.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contact_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=True),
        sa.Column("reply_email", sa.String(length=254), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("handled_at", sa.DateTime(), nullable=True),
        sa.Column("handled_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('question', 'press', 'letter', 'other')", name=op.f("ck_contact_messages_kind")),
        sa.CheckConstraint("language IN ('he', 'ar', 'en')", name=op.f("ck_contact_messages_language")),
        sa.ForeignKeyConstraint(["handled_by_id"], ["moderators.id"], name=op.f("fk_contact_messages_handled_by_id_moderators")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_messages")),
    )
    with op.batch_alter_table("contact_messages", schema=None) as batch_op:
        # The inbox (open first, by arrival) and retention (handled long ago).
        batch_op.create_index("ix_contact_messages_handled_at_received_at", ["handled_at", "received_at"], unique=False)
    op.create_table(
        "site_pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("slug IN ('about', 'privacy')", name=op.f("ck_site_pages_slug")),
        sa.CheckConstraint("language IN ('he', 'ar', 'en')", name=op.f("ck_site_pages_language")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["moderators.id"], name=op.f("fk_site_pages_updated_by_id_moderators")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_pages")),
        sa.UniqueConstraint("slug", "language", name=op.f("uq_site_pages_slug")),
    )


def downgrade() -> None:
    # Unanswered messages and edited page texts go with their tables (the pages fall back to their defaults).
    op.drop_table("site_pages")
    op.drop_table("contact_messages")
