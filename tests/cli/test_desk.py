"""``plaint tickets new`` and ``plaint tickets extend`` as the desk uses them, and the
Idempotency-Key's promise under concurrency: several processes recording the same
complaint with one key at once make one inbox item (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from plaint.cli import main
from plaint.config import load_config
from plaint.models import Inbox, Resident
from plaint.service.directory import sync_staff
from plaint.service.store import sync_departments
from plaint.service.triage import triage_inbox

REPO = Path(__file__).resolve().parents[2]
PROCESSES = 4
STAFF = """
[[staff]]
code = "desk.wu"
name = "吴客服"
role = "desk"
"""
NEW = ["tickets", "new", "--by", "desk.wu", "--text", "楼道灯坏了一周", "--phone", "13800138000",
       "--mode", "visit", "--idempotency-key", "visit-42"]  # fmt: skip


@pytest.fixture
def desk_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    config = tmp_path / "plaint.toml"
    config.write_text(STAFF, "utf-8")
    env = {"PLAINT_DATABASE_URL": db_url, "PLAINT_CONFIG": str(config)}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PLAINT_REDIS_URL", raising=False)
    return env


def test_concurrent_retries_with_one_key_record_one_item(
    desk_env: dict[str, str], sessions: sessionmaker[Session]
) -> None:
    env = {**os.environ, **desk_env, "PYTHONPATH": str(REPO)}
    with sessions.begin() as session:  # the directory as start-up leaves it
        sync_staff(session, load_config(Path(desk_env["PLAINT_CONFIG"])).staff,
                   now=datetime.now(UTC))  # fmt: skip
    procs = [
        subprocess.Popen([sys.executable, "-m", "plaint", *NEW], cwd=REPO, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(PROCESSES)
    ]  # fmt: skip
    outputs = [proc.communicate(timeout=120) for proc in procs]
    assert [proc.returncode for proc in procs] == [0] * PROCESSES, outputs
    lines = sorted(out.strip() for out, _ in outputs)
    assert sum("already recorded" not in line for line in lines) == 1, lines
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Inbox)) == 1
        assert session.scalar(select(func.count()).select_from(Resident)) == 1


def test_new_then_extend_from_the_command_line(
    desk_env: dict[str, str], sessions: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(NEW) == 0
    out = capsys.readouterr().out
    assert "waits for `plaint run` to triage" in out
    with sessions.begin() as session:
        inbox_id = session.scalars(select(Inbox.id)).one()
        config = load_config(Path(desk_env["PLAINT_CONFIG"]))
        sync_departments(session, config.departments)  # as `plaint run` does at start-up
        triage_inbox(session, inbox_id, config=config, now=datetime.now(UTC))
    assert main(["tickets", "list", "--json"]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert listed["channel"] == "desk"
    until = "2099-01-01T18:00"  # far beyond 15 working days: a desk member may not
    assert main(["tickets", "extend", listed["number"], "--by", "desk.wu", "--until", until,
                 "--reason", "等待配件"]) == 2  # fmt: skip
    assert "a manager must extend" in capsys.readouterr().err
