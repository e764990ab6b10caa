"""numbers opted out of SMS, and Twilio's delivery statuses of sent messages

Revision ID: 0010
Revises: 0007
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
    op.create_table(
        "twilio_statuses",
        sa.Column("sid", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("error_code", sa.String(10), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_twilio_statuses_key", "twilio_statuses", ["key"])


def downgrade() -> None:
    op.drop_index("ix_twilio_statuses_key", table_name="twilio_statuses")
    op.drop_table("twilio_statuses")
    op.drop_table("sms_opt_outs")
