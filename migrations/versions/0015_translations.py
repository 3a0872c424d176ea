"""Translations of letters: one per letter and site language, with their earlier versions, and the
translator role (writes translations, decides nothing).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

ROLES_BEFORE = "'moderator', 'admin'"
ROLES_AFTER = "'moderator', 'admin', 'translator'"


def upgrade() -> None:
    op.create_table('translations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('letter_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('source_hash', sa.String(length=64), nullable=False),
    sa.Column('written_by_id', sa.Integer(), nullable=True),
    sa.Column('claimed_by_id', sa.Integer(), nullable=True),
    sa.Column('claimed_at', sa.DateTime(), nullable=True),
    sa.Column('approved_by', sa.String(length=16), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(), nullable=True),
    sa.Column('author_comment', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.CheckConstraint("approved_by IS NULL OR approved_by IN ('author', 'team')", name=op.f('ck_translations_approved_by')),
    sa.CheckConstraint("language IN ('he', 'ar', 'en')", name=op.f('ck_translations_language')),
    sa.CheckConstraint("status IN ('draft', 'awaiting_author', 'returned', 'approved', 'to_review')", name=op.f('ck_translations_status')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['moderators.id'], name=op.f('fk_translations_approved_by_id_moderators')),
    sa.ForeignKeyConstraint(['claimed_by_id'], ['moderators.id'], name=op.f('fk_translations_claimed_by_id_moderators')),
    sa.ForeignKeyConstraint(['letter_id'], ['letters.id'], name=op.f('fk_translations_letter_id_letters'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['written_by_id'], ['moderators.id'], name=op.f('fk_translations_written_by_id_moderators')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_translations')),
    sa.UniqueConstraint('letter_id', 'language', name=op.f('uq_translations_letter_id')),
    sa.UniqueConstraint('public_id', name=op.f('uq_translations_public_id'))
    )
    with op.batch_alter_table('translations', schema=None) as batch_op:
        batch_op.create_index('ix_translations_claimed_by_id', ['claimed_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_translations_letter_id'), ['letter_id'], unique=False)

    op.create_table('translation_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('translation_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('replaced_at', sa.DateTime(), nullable=False),
    sa.Column('replaced_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['replaced_by_id'], ['moderators.id'], name=op.f('fk_translation_versions_replaced_by_id_moderators')),
    sa.ForeignKeyConstraint(['translation_id'], ['translations.id'], name=op.f('fk_translation_versions_translation_id_translations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_translation_versions'))
    )
    with op.batch_alter_table('translation_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_translation_versions_translation_id'), ['translation_id'], unique=False)

    with op.batch_alter_table("moderators", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_moderators_role"), type_="check")
        batch_op.create_check_constraint("role", f"role IN ({ROLES_AFTER})")


def downgrade() -> None:
    # Translators lose their accounts' access rather than gain a moderator's: they are deactivated
    # as moderators, so no one can decide letters who was never trusted to.
    op.execute("UPDATE moderators SET role = 'moderator', is_active = false WHERE role = 'translator'")
    with op.batch_alter_table("moderators", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_moderators_role"), type_="check")
        batch_op.create_check_constraint("role", f"role IN ({ROLES_BEFORE})")
    op.drop_table("translation_versions")
    op.drop_table("translations")
