"""``kill -9`` of a worker process mid-load on ``plaint run``: polling resumes within
seconds (no poll lock outlives its holder for long), and every item that was in flight is
triaged exactly once soon after (the broker redelivers a dead worker's messages)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from plaint.models import Inbox, InboxStatus, Message, create_db_engine
from tests.conftest import Mailbox, source_toml
from tests.proctools import children, wait_for
from tests.servers import free_port
from tests.workers.test_flow import complaint

REPO = Path(__file__).resolve().parents[2]
# Mail arrives steadily, about as fast as the workers triage it, so that what is pending at
# the kill is mostly what was in flight.
MAILS = 240
MAILS_PER_SECOND = 8


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _feed(mailbox: Mailbox) -> None:
    client = mailbox.client()
    start = time.monotonic()
    for n in range(MAILS):
        client.append(mailbox.folder, complaint(n, f"{n % 40 + 1}号楼{n}室门口灯坏了"))
        ahead = start + (n + 1) / MAILS_PER_SECOND - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)  # pacing the load, not waiting for a server
    client.logout()


@pytest.mark.slow
def test_kill_9_of_a_worker_mid_load(mailbox: Mailbox, db_url: str, tmp_path: Path) -> None:
    config = tmp_path / "plaint.toml"
    config.write_text(source_toml(mailbox), "utf-8")
    env = {
        **os.environ, "PYTHONPATH": str(REPO), "PLAINT_DATA_DIR": str(tmp_path / "data"),
        "PLAINT_DATABASE_URL": db_url, "PLAINT_CONFIG": str(config),
        "TEST_IMAP_PASSWORD": mailbox.password, "PLAINT_WORKER_PROCESSES": "2",
        "PLAINT_WORKER_THREADS": "2", "PLAINT_LOG_LEVEL": "WARNING",
        "PLAINT_WEB_PORT": str(free_port()),
    }  # fmt: skip
    env.pop("PLAINT_REDIS_URL", None)
    engine = create_db_engine(db_url)

    def count(*where: object) -> int:
        with engine.connect() as connection:
            query = select(func.count()).select_from(Inbox).where(*where)  # type: ignore[arg-type]
            return int(connection.execute(query).scalar_one())

    run = subprocess.Popen([sys.executable, "-m", "plaint", "run"], cwd=REPO, env=env)
    feeder = threading.Thread(target=_feed, args=(mailbox,), daemon=True)
    try:
        feeder.start()
        wait_for(lambda: count(Inbox.status == InboxStatus.DONE) >= MAILS // 3, seconds=120,
              what="a third of the mails triaged")  # fmt: skip
        # Kill a process of each dramatiq worker group: the triage worker and the intake
        # (polling) worker of plaint run.
        workers = [children(c)[0] for c in children(run.pid) if " worker" in _cmdline(c)]
        assert workers, "no dramatiq worker processes found"
        in_flight = count()
        with engine.connect() as connection:
            last = connection.execute(select(func.max(Inbox.id))).scalar_one()
        os.kill(workers[0], signal.SIGKILL)
        killed = time.monotonic()
        # Polling resumes: new mail reaches the inbox within 10 s of the kill.
        wait_for(lambda: count() > in_flight, seconds=10, what="polling resumed")
        # Everything that was in the inbox at the kill is triaged within 30 s of it.
        wait_for(lambda: count(Inbox.id <= last, Inbox.status == InboxStatus.DONE) == in_flight,
              seconds=30 - (time.monotonic() - killed), what="in-flight items triaged")  # fmt: skip
        feeder.join()
        wait_for(lambda: count(Inbox.status == InboxStatus.DONE) == MAILS, seconds=120,
              what="every mail triaged")  # fmt: skip
        with engine.connect() as connection:
            per_row = connection.execute(
                select(Message.inbox_id, func.count()).group_by(Message.inbox_id)
            ).all()
        assert len(per_row) == MAILS
        assert {n for _, n in per_row} == {1}
    finally:
        run.send_signal(signal.SIGTERM)
        run.wait(timeout=60)
        engine.dispose()
