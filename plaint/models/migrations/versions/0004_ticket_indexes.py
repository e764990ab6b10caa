"""indexes for dedupe lookups by resident and reports by month

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tickets_resident_received", ["resident_id", "received_at"], unique=False
        )
        batch_op.create_index("ix_tickets_received_at", ["received_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_received_at")
        batch_op.drop_index("ix_tickets_resident_received")
