"""One poller process of a CSV drop folder, for the concurrency test: waits for the start
file, then polls until the folder is empty. Usage: cdr_poller.py DB_URL FOLDER START."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from plaint.channels.phone.cdr import CdrLayout
from plaint.channels.phone.folder import CdrFolderChannel
from plaint.models import create_db_engine, session_factory
from plaint.service.intake import poll_once
from plaint.service.store import DbCursorStore


def main(db_url: str, folder: Path, start: Path) -> None:
    engine = create_db_engine(db_url)
    sessions = session_factory(engine)
    cursors = DbCursorStore(sessions, clock=lambda: datetime.now(UTC))
    channel = CdrFolderChannel(
        source="desk", folder=folder, processed=folder / "processed",
        layout=CdrLayout("asterisk", ZoneInfo("Asia/Shanghai")), cursors=cursors,
    )  # fmt: skip
    while not start.exists():  # both processes begin together
        time.sleep(0.001)
    while any(folder.glob("*.csv")):
        poll_once(channel, sessions=sessions, enqueue=lambda _: None,
                  clock=lambda: datetime.now(UTC), limit=7)  # fmt: skip
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))
