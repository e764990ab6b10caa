"""indexes for dedupe lookups (by resident, by place, open and recent) and monthly reports

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
        batch_op.create_index("ix_tickets_status_received", ["status", "received_at"], unique=False)
    with op.batch_alter_table("residents", schema=None) as batch_op:
        batch_op.create_index("ix_residents_place", ["building", "unit", "community"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("residents", schema=None) as batch_op:
        batch_op.drop_index("ix_residents_place")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_status_received")
        batch_op.drop_index("ix_tickets_received_at")
        batch_op.drop_index("ix_tickets_resident_received")
