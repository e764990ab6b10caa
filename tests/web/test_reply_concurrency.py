"""Two web processes receive the same reply at once (a client retrying over a flaky link,
or a double click through two workers) with one ``Idempotency-Key``: the resident is sent
one message, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from plaint.models import Notification, TicketEvent
from tests.web.conftest import STAFF_TOML, Api

REPO = Path(__file__).resolve().parents[2]
PROCESSES = 2
READY_WAIT_SECONDS = 120


def _wait_for(paths: list[Path], procs: list[subprocess.Popen[str]]) -> None:
    deadline = time.monotonic() + READY_WAIT_SECONDS
    while not all(p.exists() for p in paths):
        assert all(proc.poll() is None for proc in procs), "a web process died starting"
        assert time.monotonic() < deadline, "the web processes did not start"
        time.sleep(0.01)  # probing for the ready files


def test_one_outbox_row_for_two_concurrent_posts_with_one_key(
    api: Api, db_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "web.toml"
    config.write_text(STAFF_TOML, "utf-8")
    number, go = api.numbers["corridor"], tmp_path / "go"
    ready = [tmp_path / f"ready-{n}" for n in range(PROCESSES)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.web.concurrent_reply", db_url, str(config),
             str(ready[n]), str(go), number, api.tokens["li.clean"], "double-click-1"],
            cwd=REPO, env=env, stdout=subprocess.PIPE, text=True,
        )
        for n in range(PROCESSES)
    ]  # fmt: skip
    _wait_for(ready, procs)
    go.touch()
    answers = []
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0
        answers.append(json.loads(out.strip().splitlines()[-1]))
    assert sorted((a["status"], a["replayed"]) for a in answers) == [(200, False), (200, True)]
    with api.sessions() as session:
        rows = session.scalar(
            select(func.count()).where(Notification.template == "staff_reply",
                                       Notification.key.like("%:double-click-1"))
        )  # fmt: skip
        replies = session.scalar(select(func.count()).where(TicketEvent.kind == "reply"))
    assert (rows, replies) == (1, 1)
