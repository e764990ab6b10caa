"""indexes for the operations pages: a clock's restarts and a ticket's breach marks
answered from an index alone

Revision ID: 0024
Revises: 0023
"""

from __future__ import annotations

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_sla_clock_events_ticket_clock_kind", "sla_clock_events", ["ticket_id", "clock", "kind"]
    )
    op.create_index("ix_sla_marks_ticket_mark", "sla_marks", ["ticket_id", "mark"])


def downgrade() -> None:
    op.drop_index("ix_sla_marks_ticket_mark", table_name="sla_marks")
    op.drop_index("ix_sla_clock_events_ticket_clock_kind", table_name="sla_clock_events")
