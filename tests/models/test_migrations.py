"""The migrations build exactly the schema the models describe, on both dialects."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError

from plaint.models import Base, Resident, create_db_engine, session_factory
from plaint.models.migrate import upgrade


def test_migrated_schema_matches_the_models(db_url: str) -> None:
    engine = create_db_engine(db_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []


def test_database_errors_do_not_carry_residents_data(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'p.db'}")
    upgrade(engine)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    with sessions.begin() as session:
        session.add(Resident(phone="+8613800138000", created_at=now))
    with pytest.raises(IntegrityError) as info, sessions.begin() as session:
        session.add(Resident(phone="+8613800138000", created_at=now))
    engine.dispose()
    assert "13800138000" not in str(info.value)
