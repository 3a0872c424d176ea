"""People are told: links that die when an author corrects their address, the moderators' digest,
and the delay notice admins set.

letters.link_version is signed into an author's links; correcting the contact address before
confirming bumps it, so the links mailed to the old address stop working. moderators.digest_mail
lets each moderator turn the digest off. moderation_digest holds when the last digest went (one
row, locked by whoever decides whether one is due). delay_notices holds, per language, what authors
of a waiting letter are told about how long moderators take.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("link_version", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.alter_column("link_version", server_default=None)
    with op.batch_alter_table("moderators", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest_mail", sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table("moderators", schema=None) as batch_op:
        batch_op.alter_column("digest_mail", server_default=None)
    op.create_table(
        "moderation_digest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_sent_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_moderation_digest_singleton")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_digest")),
    )
    op.create_table(
        "delay_notices",
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("language IN ('he', 'ar', 'en')", name=op.f("ck_delay_notices_language")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["moderators.id"], name=op.f("fk_delay_notices_updated_by_id_moderators")),
        sa.PrimaryKeyConstraint("language", name=op.f("pk_delay_notices")),
    )


def downgrade() -> None:
    op.drop_table("delay_notices")
    op.drop_table("moderation_digest")
    with op.batch_alter_table("moderators", schema=None) as batch_op:
        batch_op.drop_column("digest_mail")
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.drop_column("link_version")
