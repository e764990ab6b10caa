"""Triage inbox rows from several threads of one process, all starting when a go-file
appears; run by test_concurrency as several processes at once:

    python -m tests.service.concurrent_triage DB_URL CONFIG GO_FILE THREADS ID [ID ...]

Prints one JSON line: how many triages ran and how many transient errors were retried
(the actor's retry, as dramatiq would do it).
"""

from __future__ import annotations

import json
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from queue import Empty, SimpleQueue

from sqlalchemy.exc import OperationalError

from plaint.config import load_config
from plaint.models import create_db_engine, session_factory
from plaint.service.triage import triage_inbox

GO_WAIT_SECONDS = 60
RETRIES = 5


def main(db_url: str, config_path: str, go_file: str, threads: int, ids: list[int]) -> None:
    config = load_config(Path(config_path))
    engine = create_db_engine(db_url)
    sessions = session_factory(engine)
    work: SimpleQueue[int] = SimpleQueue()
    for inbox_id in ids:
        work.put(inbox_id)
    counts = {"triaged": 0, "retried": 0}
    lock = threading.Lock()
    go = threading.Event()

    def run() -> None:
        go.wait()
        while True:
            try:
                inbox_id = work.get_nowait()
            except Empty:
                return
            for _attempt in range(RETRIES):
                try:
                    with sessions.begin() as session:
                        triage_inbox(session, inbox_id, config=config, now=datetime.now(UTC))
                    break
                except OperationalError:  # deadlock / serialization: dramatiq retries
                    with lock:
                        counts["retried"] += 1
            with lock:
                counts["triaged"] += 1

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    # Wait for the test's signal that every process is up (a file, probed).
    deadline = datetime.now(UTC).timestamp() + GO_WAIT_SECONDS
    while not Path(go_file).exists() and datetime.now(UTC).timestamp() < deadline:
        threading.Event().wait(0.005)
    go.set()
    for worker in workers:
        worker.join()
    engine.dispose()
    print(json.dumps(counts), flush=True)


if __name__ == "__main__":
    db, cfg, go_path, n, *rest = sys.argv[1:]
    main(db, cfg, go_path, int(n), [int(x) for x in rest])
