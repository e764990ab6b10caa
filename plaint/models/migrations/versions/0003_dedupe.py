"""dedupe

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 01:02:51.310018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sub_topic", sa.String(length=50), nullable=False),
        sa.Column("community", sa.String(length=200), nullable=True),
        sa.Column("building", sa.String(length=50), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "ticket_lsh_keys",
        sa.Column(
            "ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
        ),
        sa.PrimaryKeyConstraint("ticket_id", "key"),
    )
    with op.batch_alter_table("ticket_lsh_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_lsh_keys_key"), ["key"], unique=False)

    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("text_signature", sa.LargeBinary(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "incident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.create_index(batch_op.f("ix_tickets_incident_id"), ["incident_id"], unique=False)
        batch_op.create_foreign_key("fk_tickets_incident_id", "incidents", ["incident_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        # WARNING: constraint name is None; this directive will fail as
        # rendered.  Add a name, or use a naming convention; see
        # https://alembic.sqlalchemy.org/en/latest/naming.html
        batch_op.drop_constraint("fk_tickets_incident_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_tickets_incident_id"))
        batch_op.drop_column("incident_id")
        batch_op.drop_column("text_signature")

    with op.batch_alter_table("ticket_lsh_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_lsh_keys_key"))

    op.drop_table("ticket_lsh_keys")
    op.drop_table("incidents")
