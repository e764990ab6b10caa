"""Alembic environment: runs on the connection handed in by plaint.models.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from plaint.models.db import create_db_engine
from plaint.models.tables import Base


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = context.config.get_main_option("sqlalchemy.url") or ""
    with create_db_engine(url).begin() as conn:
        _run(conn)
