"""tickets.sla_breached: whether a breach mark was recorded (any clock, any cycle), filled
from sla_marks

Revision ID: 0025
Revises: 0024
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "tickets",
        sa.Column("sla_breached", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.execute(
        "UPDATE tickets SET sla_breached = EXISTS (SELECT 1 FROM sla_marks"
        " WHERE sla_marks.ticket_id = tickets.id AND sla_marks.mark = 'breach')"
    )


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("sla_breached")
