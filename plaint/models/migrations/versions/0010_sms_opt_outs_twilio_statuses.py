"""numbers opted out of SMS (Twilio's delivery statuses live on the notifications rows)

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sms_opt_outs",
        sa.Column("phone", sa.String(32), primary_key=True),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmation_key", sa.String(300), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("sms_opt_outs")
