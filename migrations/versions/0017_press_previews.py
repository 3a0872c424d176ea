"""Press previews: links for named journalists to an embargo's letters before their release.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "press_previews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("release_at", sa.DateTime(), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("openings", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["moderators.id"], name=op.f("fk_press_previews_created_by_id_moderators")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_press_previews")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_press_previews_token_hash")),
    )


def downgrade() -> None:
    op.drop_table("press_previews")
