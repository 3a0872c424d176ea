"""Known browsers: a moderator's sign-in lock does not keep out the browsers they signed in with.

moderators.known_browser_key is held by each browser after a complete sign-in; a lock set by
failures from other browsers does not apply to it. moderators.known_browser_failures counts the
known browsers' own failures, which do not count toward the lock.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("moderators", schema=None) as batch_op:
        batch_op.add_column(sa.Column("known_browser_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("known_browser_failures", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("moderators", schema=None) as batch_op:
        batch_op.alter_column("known_browser_failures", server_default=None)


def downgrade() -> None:
    # Browsers that were known are unknown again: a lock keeps them out too.
    with op.batch_alter_table("moderators", schema=None) as batch_op:
        batch_op.drop_column("known_browser_failures")
        batch_op.drop_column("known_browser_key")
