"""the new due instant of an extension (延期) clock event

Revision ID: 0015
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sla_clock_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sla_clock_events", schema=None) as batch_op:
        batch_op.drop_column("until")
