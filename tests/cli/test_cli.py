"""The plaint command as a user runs it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect

from plaint.cli import main
from plaint.models import create_db_engine
from tests.conftest import Mailbox, source_toml
from tests.plant import Plant
from tests.servers import free_port
from tests.workers.test_flow import complaint

REPO = Path(__file__).resolve().parents[2]
DEADLINE_SECONDS = 90.0


def test_db_upgrade_creates_the_schema_and_is_repeatable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PLAINT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PLAINT_DATABASE_URL", raising=False)
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "upgrade"]) == 0
    engine = create_db_engine(f"sqlite:///{tmp_path / 'data' / 'plaint.db'}")
    assert {"inbox", "tickets", "messages", "ticket_events", "residents", "departments",
            "channel_cursors"} <= set(inspect(engine).get_table_names())  # fmt: skip
    engine.dispose()
    assert "newest schema" in capsys.readouterr().out


def test_tickets_list_and_show(
    plant: Plant, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    plant.mailbox.append(complaint(1))
    plant.mailbox.append(complaint(2, "Cracks in the wall of unit 6-402, a defect"))
    plant.poll()
    monkeypatch.setenv("PLAINT_DATABASE_URL", str(plant.rt.settings.database_url))
    monkeypatch.delenv("PLAINT_CONFIG", raising=False)
    assert main(["tickets", "list"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["number", "status", "category"]
    rows = {line.split()[3]: line.split() for line in lines[2:]}
    assert rows["construction_defect"][4] == "developer"
    assert rows["lift"][4:7] == ["engineering", "1", "emergency"]

    number = next(t.number for t in plant.tickets() if t.sub_topic == "lift")
    assert main(["tickets", "show", number]) == 0
    shown = capsys.readouterr().out
    assert shown.startswith(number)
    assert "3号楼电梯困人" in shown
    assert "sla_started" in shown

    assert main(["tickets", "show", "TS-1999-000001"]) == 2
    assert "no ticket numbered" in capsys.readouterr().err


def test_tickets_as_json(
    plant: Plant, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    plant.mailbox.append(complaint(1))
    plant.poll()
    monkeypatch.setenv("PLAINT_DATABASE_URL", str(plant.rt.settings.database_url))
    monkeypatch.delenv("PLAINT_CONFIG", raising=False)
    [ticket] = plant.tickets()
    assert main(["tickets", "list", "--json"]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert list(listed) == ["number", "status", "channel", "category", "sub_topic",
                            "department", "level", "urgency", "validity", "assignee",
                            "received_at", "first_response_due", "closure_due"]  # fmt: skip
    assert (listed["number"], listed["sub_topic"], listed["level"]) == (ticket.number, "lift", 1)
    assert datetime.fromisoformat(listed["first_response_due"]) == ticket.first_response_due

    assert main(["tickets", "show", ticket.number, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert {k: shown[k] for k in listed} == listed
    assert "3号楼电梯困人" in shown["messages"][0]["body"]
    assert [e["kind"] for e in shown["events"]][:2] == ["received", "classified"]
    assert main(["tickets", "list", "--json", "--status", "closed"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_a_bad_config_stops_plaint_run_naming_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(
        "[sla]\ndefault = { first_response = { hours = 0 }, closure = { hours = 1 } }"
    )
    monkeypatch.setenv("PLAINT_CONFIG", str(config))
    assert main(["run"]) == 2
    assert "sla.default.first_response.hours" in capsys.readouterr().err


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _wait_tickets(db: Path, count: int, process: subprocess.Popen[str]) -> None:
    import sqlite3

    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, "plaint run exited"
        if db.exists():
            with sqlite3.connect(db) as connection:
                try:
                    if connection.execute("select count(*) from tickets").fetchone()[0] >= count:
                        return
                except sqlite3.OperationalError:
                    pass
        time.sleep(0.1)
    raise AssertionError(f"fewer than {count} tickets after {DEADLINE_SECONDS} s")


@pytest.mark.slow
def test_plaint_run_on_embedded_defaults_survives_a_killed_worker(
    tmp_path: Path, mailbox: Mailbox
) -> None:
    """`plaint run` with nothing but a config file: embedded Redis, SQLite, the workers and
    the clock. A worker killed with -9 is restarted and the next mail still gets through;
    SIGTERM stops the whole tree, embedded Redis included."""
    config = tmp_path / "config.toml"
    config.write_text(source_toml(mailbox), "utf-8")
    env = {**os.environ, "PLAINT_DATA_DIR": str(tmp_path / "data"),
           "PLAINT_CONFIG": str(config), "TEST_IMAP_PASSWORD": mailbox.password,
           "PLAINT_WORKER_PROCESSES": "1", "PLAINT_WORKER_THREADS": "2",
           "PLAINT_WEB_PORT": str(free_port())}  # fmt: skip
    env.pop("PLAINT_REDIS_URL", None)
    env.pop("PLAINT_DATABASE_URL", None)
    mailbox.append(complaint(1))
    process = subprocess.Popen(
        [sys.executable, "-m", "plaint", "run"], cwd=REPO, env=env, text=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    db = tmp_path / "data" / "plaint.db"
    try:
        _wait_tickets(db, 1, process)
        tree = [pid for child in _children(process.pid) for pid in [child, *_children(child)]]
        workers = [pid for pid in tree if " worker" in _cmdline(pid) or "dramatiq" in _cmdline(pid)]
        assert workers, "no worker process found"
        os.kill(workers[-1], signal.SIGKILL)
        mailbox.append(complaint(2, "楼上漏水了"))
        _wait_tickets(db, 2, process)
        redis_pids = [p for p in _children(process.pid) if "redis-server" in _cmdline(p)]
        assert len(redis_pids) == 1
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    assert code == 0
    assert not Path(f"/proc/{redis_pids[0]}").exists() or "redis" not in _cmdline(redis_pids[0])


@pytest.mark.slow
def test_plaint_demo_prints_the_ticket_table() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLAINT_")}
    result = subprocess.run(
        [sys.executable, "-m", "plaint", "demo", "--no-serve"], cwd=REPO, env=env,
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "triaged 14/14" in out  # the mails, then the SMS and the calls too
    assert "triaged 20/20" in out
    # 20 inbound messages (陈先生's SMS continues his mail's ticket) and the desk's reply
    assert "18 tickets from 21 messages" in out
    assert "TS-" in out
    assert "emergency" in out
    assert "developer" in out
    # The summary: what each resident received, at the Twilio stand-in and the SMTP server
    assert "收到的短信与邮件" in out
    assert "短信：您好，您的投诉已受理" in out
    assert "邮件：[TS-" in out
    assert "18 位住户收到短信 6 条、邮件 13 封" in out
    # A provisional calendar year is the demo's one short line, never its children's logs.
    assert "provisional" not in result.stderr
    assert all(len(line) < 100 for line in out.splitlines() if line.startswith("note:"))
