"""A translation the author writes waits for the team's check, as their letter did: kept apart from
the public translations until a moderator publishes it or sends it back with a reason.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('author_translations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('letter_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('source_hash', sa.String(length=64), nullable=False),
    sa.Column('team_reason', sa.Text(), nullable=True),
    sa.Column('written_at', sa.DateTime(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.CheckConstraint("language IN ('he', 'ar', 'en')", name=op.f('ck_author_translations_language')),
    sa.CheckConstraint("status IN ('waiting', 'returned')", name=op.f('ck_author_translations_status')),
    sa.ForeignKeyConstraint(['letter_id'], ['letters.id'], name=op.f('fk_author_translations_letter_id_letters'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_author_translations')),
    sa.UniqueConstraint('letter_id', 'language', name=op.f('uq_author_translations_letter_id'))
    )


def downgrade() -> None:
    op.drop_table('author_translations')
