"""Engines: on SQLite, reads never queue behind a writer."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import select, text

from plaint.models import Inbox, create_db_engine, read_session_factory
from plaint.models.migrate import upgrade


def test_a_read_transaction_does_not_wait_for_an_open_writer(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'plaint.db'}"
    engine = create_db_engine(url)
    upgrade(engine)
    writer = engine.connect()
    writer.execute(text("UPDATE counters SET value = value + 1"))  # holds the write lock
    rows: list[list[int]] = []

    def read() -> None:
        with read_session_factory(engine)() as session:
            rows.append(list(session.scalars(select(Inbox.id))))

    reader = threading.Thread(target=read)
    try:
        reader.start()
        # A writer's BEGIN IMMEDIATE would wait out the 30 s busy timeout here.
        reader.join(timeout=10)
        assert not reader.is_alive()
        assert rows == [[]]
    finally:
        writer.rollback()
        writer.close()
        reader.join()
        engine.dispose()
