"""Submission key (one letter per form post), decision time (contact erasure), audit survives purge.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_audit_events_letter_id_letters'), type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_audit_events_letter_id_letters'), 'letters', ['letter_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decided_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('submission_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_letters_submission_key'), ['submission_key'])

    # Letters decided before this revision start their erasure clock at their last known decision.
    op.execute("UPDATE letters SET decided_at = published_at WHERE status IN ('published', 'unpublished')")
    op.execute("UPDATE letters SET decided_at = updated_at WHERE status IN ('rejected', 'withdrawn')")



def downgrade() -> None:
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_letters_submission_key'), type_='unique')
        batch_op.drop_column('submission_key')
        batch_op.drop_column('decided_at')

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_audit_events_letter_id_letters'), type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_audit_events_letter_id_letters'), 'letters', ['letter_id'], ['id'])

