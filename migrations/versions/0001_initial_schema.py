"""Initial schema: letters, the public tally (one row), moderators, the audit trail.

Revision ID: 0001
Revises:
Create Date: 2026-11-25

Times are stored as naive UTC (the models' UTCDateTime hands them back as aware UTC).
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('letters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('descriptor', sa.String(length=200), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('scheduled_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.CheckConstraint("language IN ('he', 'ar', 'en')", name=op.f('ck_letters_language')),
    sa.CheckConstraint("status IN ('unconfirmed', 'pending', 'published', 'rejected', 'withdrawn', 'unpublished')", name=op.f('ck_letters_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letters')),
    sa.UniqueConstraint('public_id', name=op.f('uq_letters_public_id'))
    )
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.create_index('ix_letters_status_language_published_at', ['status', 'language', 'published_at'], unique=False)
        batch_op.create_index('ix_letters_status_published_at', ['status', 'published_at'], unique=False)

    op.create_table('moderators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('session_token', sa.String(length=64), nullable=False),
    sa.Column('totp_secret', sa.String(length=64), nullable=True),
    sa.Column('totp_last_step', sa.Integer(), nullable=True),
    sa.Column('failed_sign_ins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.CheckConstraint("role IN ('moderator', 'admin')", name=op.f('ck_moderators_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moderators')),
    sa.UniqueConstraint('email', name=op.f('uq_moderators_email'))
    )
    tally = op.create_table('public_tally',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('refusers', sa.Integer(), nullable=False),
    sa.Column('letters_he', sa.Integer(), nullable=False),
    sa.Column('letters_ar', sa.Integer(), nullable=False),
    sa.Column('letters_en', sa.Integer(), nullable=False),
    sa.Column('last_published_at', sa.DateTime(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_public_tally_singleton')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_public_tally'))
    )
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=40), nullable=False),
    sa.Column('letter_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('hash_before', sa.String(length=64), nullable=True),
    sa.Column('hash_after', sa.String(length=64), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['moderators.id'], name=op.f('fk_audit_events_actor_id_moderators')),
    sa.ForeignKeyConstraint(['letter_id'], ['letters.id'], name=op.f('fk_audit_events_letter_id_letters')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_at'), ['at'], unique=False)
        batch_op.create_index('ix_audit_events_letter_id_at', ['letter_id', 'at'], unique=False)

    # The tally is read by primary key on every public request; it must always exist.
    op.bulk_insert(tally, [{"id": 1, "refusers": 0, "letters_he": 0, "letters_ar": 0, "letters_en": 0, "revision": 0}])



def downgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_letter_id_at')
        batch_op.drop_index(batch_op.f('ix_audit_events_at'))
        batch_op.drop_index(batch_op.f('ix_audit_events_action'))

    op.drop_table('audit_events')
    op.drop_table('public_tally')
    op.drop_table('moderators')
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.drop_index('ix_letters_status_published_at')
        batch_op.drop_index('ix_letters_status_language_published_at')

    op.drop_table('letters')
