"""what the outbox dispatcher records on a notification: channel, attempts, provider id
and status, last error, segments, updated_at

Revision ID: 0009
Revises: 0007

Due rows are claimed through the existing index on (status, not_before): a retry's
backoff and an attempt's lease move ``not_before`` on.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("first_attempt_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("last_error", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("provider_id", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("provider_status", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("segments", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        for name in ("updated_at", "segments", "provider_status", "provider_id", "last_error",
                     "first_attempt_at", "attempts", "channel"):  # fmt: skip
            batch_op.drop_column(name)
