"""``plaint inbox import|list|show|replay`` as an operator runs them."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from plaint.cli import main
from plaint.cli.inbox import _STATUSES
from plaint.models import Inbox, InboxStatus, Ticket, create_db_engine, session_factory
from tests.plant import Plant
from tests.servers import free_port
from tests.service.test_inbox import NEW_IN_FOLDER, english_mail, gbk_mail, write_mail_folder
from tests.workers.test_flow import complaint

REPO = Path(__file__).resolve().parents[2]
# What a list or show must never print: the sender, their name, the subject, the text.
PERSONAL = ("liang@example.cn", "梁祐晟", "卫生间漏水", "镕", "resident1@example.com", "Lift")


@pytest.fixture
def env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The plaint environment of one test: its database, no Redis, default config."""
    monkeypatch.setenv("PLAINT_DATABASE_URL", db_url)
    monkeypatch.delenv("PLAINT_REDIS_URL", raising=False)
    monkeypatch.delenv("PLAINT_CONFIG", raising=False)
    return db_url


def _count(db_url: str, *conditions: Any) -> int:
    engine = create_db_engine(db_url)
    try:
        with session_factory(engine)() as session:
            return session.scalar(select(func.count()).select_from(Inbox).where(*conditions)) or 0
    finally:
        engine.dispose()


def test_the_status_choices_are_the_model_statuses() -> None:
    assert list(_STATUSES) == [s.value for s in InboxStatus]


def test_import_prints_one_summary_and_names_unreadable_files(
    env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_mail_folder(tmp_path)
    assert main(["inbox", "import", str(folder)]) == 1
    out, err = capsys.readouterr()
    new = NEW_IN_FOLDER - 1
    assert out.splitlines() == [
        f"imported {new} new, 0 already there, 1 skipped, 1 unreadable",
        f"PLAINT_REDIS_URL is not set: `plaint run` will triage the {new} new rows "
        "(they wait in the inbox as pending)",
    ]
    assert err.strip() == f"plaint: {folder / 'broken.eml'}: unreadable: not an email " \
                          "(no From, Date, Message-ID or Received header)"  # fmt: skip
    assert "Traceback" not in err

    assert main(["inbox", "import", str(folder), "--json"]) == 1
    summary = json.loads(capsys.readouterr().out)
    assert (summary["new"], summary["already_there"], summary["skipped"]) == (0, new, 1)
    assert summary["unreadable_items"][0]["path"] == str(folder / "broken.eml")
    assert summary["triage"] == {"queue": None, "enqueued": 0, "waiting": 0, "error": None}
    assert _count(env) == new


def test_a_dead_redis_leaves_the_rows_pending_for_the_reconciler(
    env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.eml").write_bytes(english_mail(1))
    (tmp_path / "b.eml").write_bytes(english_mail(2))
    monkeypatch.setenv("PLAINT_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    assert main(["inbox", "import", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "could not enqueue triage: Redis unavailable (ConnectionError); 2 new rows stay " \
           "pending and the reconciler of `plaint run`" in out  # fmt: skip
    assert _count(env, Inbox.status == InboxStatus.PENDING) == 2


def test_list_show_and_raw_never_print_content_without_raw(
    env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_mail_folder(tmp_path)
    main(["inbox", "import", str(folder)])
    capsys.readouterr()
    assert main(["inbox", "list", "--limit", "3"]) == 0
    listing = capsys.readouterr().out
    lines = listing.splitlines()
    assert lines[0].split() == ["id", "source", "channel", "status", "attempts", "received",
                                "processed", "reason"]  # fmt: skip
    assert [line.split()[0] for line in lines[1:4]] == ["8", "7", "6"]
    assert lines[-1] == f"3 of {NEW_IN_FOLDER - 1} rows, newest first"
    assert main(["inbox", "list", "--status", "done", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"total": 0, "rows": []}

    gbk_id = next(r["id"] for r in _listed(capsys) if r["received_at"].startswith("2026-11-02T13"))
    assert main(["inbox", "show", str(gbk_id)]) == 0
    shown = capsys.readouterr().out
    assert shown.startswith(f"inbox {gbk_id}  pending  email  source import\n")
    assert "external id:  <zh-gbk-1@example.cn>" in shown
    assert f"payload:      {len(gbk_mail()):,} bytes" in shown
    for text in PERSONAL:
        assert text not in listing
        assert text not in shown


def _listed(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    assert main(["inbox", "list", "--json", "--limit", "100"]) == 0
    rows: list[dict[str, Any]] = json.loads(capsys.readouterr().out)["rows"]
    return rows


def test_only_raw_prints_the_payload_and_its_bytes_reach_stdout_unchanged(
    env: str, tmp_path: Path
) -> None:
    (tmp_path / "zh.eml").write_bytes(gbk_mail())
    run = dict(env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, check=True)
    subprocess.run([sys.executable, "-m", "plaint", "inbox", "import", str(tmp_path)], **run)
    shown = subprocess.run([sys.executable, "-m", "plaint", "inbox", "show", "1", "--raw"], **run)
    assert shown.stdout == gbk_mail()


def test_unknown_ids_and_wrong_replays_are_one_line_each(
    env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["inbox", "show", "42"]) == 2
    assert capsys.readouterr().err == "plaint: error: no inbox row 42\n"
    (tmp_path / "a.eml").write_bytes(english_mail(1))
    main(["inbox", "import", str(tmp_path)])
    capsys.readouterr()
    assert main(["inbox", "replay", "1", "42"]) == 1
    out, err = capsys.readouterr()
    assert out == "replayed 0 rows\n"
    assert err.splitlines() == [
        "plaint: inbox 1 not replayed: it is pending: already waiting for triage",
        "plaint: inbox 42 not replayed: no such inbox row",
    ]
    assert main(["inbox", "replay"]) == 2
    assert "give inbox ids or --all-quarantined" in capsys.readouterr().err


def test_imported_mail_is_triaged_by_the_workers_and_replay_sends_it_again(
    plant: Plant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("PLAINT_DATABASE_URL", plant.rt.settings.database_url)
    monkeypatch.setenv("PLAINT_REDIS_URL", str(plant.rt.settings.redis_url))
    monkeypatch.delenv("PLAINT_CONFIG", raising=False)
    (tmp_path / "good.eml").write_bytes(complaint(1))
    (tmp_path / "anonymous.eml").write_bytes(english_mail(2, sender="undisclosed-recipients"))
    assert main(["inbox", "import", str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "triage enqueued for 2 new rows"
    plant.drain()
    bad, good = (r.id for r in plant.inbox())  # files are read in name order
    [ticket] = plant.tickets()
    assert main(["inbox", "show", str(good)]) == 0
    assert f"ticket:       {ticket.number}" in capsys.readouterr().out
    assert main(["inbox", "list", "--status", "quarantined"]) == 0
    assert " no_sender" in capsys.readouterr().out

    assert main(["inbox", "replay", "--all-quarantined"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [f"replayed 1 row: {bad}", "triage enqueued for 1 replayed rows"]
    plant.drain()
    [again] = [r for r in plant.inbox() if r.id == bad]
    assert (again.status, again.error) == ("quarantined", "no_sender")  # triaged once more


def test_a_mail_imported_then_polled_from_imap_is_one_inbox_row(
    plant: Plant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("PLAINT_DATABASE_URL", plant.rt.settings.database_url)
    monkeypatch.delenv("PLAINT_REDIS_URL", raising=False)
    monkeypatch.delenv("PLAINT_CONFIG", raising=False)
    with_id = complaint(1)
    without_id = english_mail(3, message_id=False)  # LF line endings, as saved on disk
    (tmp_path / "1.eml").write_bytes(with_id)
    (tmp_path / "2.eml").write_bytes(without_id)
    assert main(["inbox", "import", "--source", "mail", str(tmp_path)]) == 0
    assert capsys.readouterr().out.startswith("imported 2 new")
    plant.mailbox.append(with_id)
    plant.mailbox.append(without_id)
    plant.poll()
    assert plant.count(Inbox) == 2
    # The poll met the pending rows and enqueued them, as it does: one ticket per mail.
    assert plant.count(Ticket) == 2


@pytest.mark.slow
def test_a_thousand_files_show_progress_on_a_terminal_and_import_once(
    env: str, tmp_path: Path
) -> None:
    folder = tmp_path / "many"
    for n in range(1000):
        sub = folder / f"{n // 100:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"{n:04d}.eml").write_bytes(english_mail(n) if n % 2 else gbk_mail().replace(
            b"zh-gbk-1", f"zh-{n}".encode()))  # fmt: skip
    out, progress = _run_on_a_terminal(["inbox", "import", str(folder)])
    assert out == (
        "imported 1000 new, 0 already there, 0 skipped, 0 unreadable\n"
        "PLAINT_REDIS_URL is not set: `plaint run` will triage the 1000 new rows "
        "(they wait in the inbox as pending)\n"
    )
    assert "importing" in progress
    assert "1000/1000" in progress
    assert "msgs/s" in progress
    out, _ = _run_on_a_terminal(["inbox", "import", str(folder)])
    assert out == "imported 0 new, 1000 already there, 0 skipped, 0 unreadable\n"
    assert _count(env) == 1000


def _run_on_a_terminal(args: list[str]) -> tuple[str, str]:
    """Run ``plaint ARGS`` with stderr on a pseudo-terminal; return (stdout, terminal)."""
    master, slave = pty.openpty()
    chunks: list[bytes] = []

    def read() -> None:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the terminal's other side is closed
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=read)
    reader.start()
    process = subprocess.run(
        [sys.executable, "-m", "plaint", *args], stdout=subprocess.PIPE, stderr=slave,
        env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=300, check=False,
    )  # fmt: skip
    os.close(slave)
    reader.join(timeout=30)
    os.close(master)
    assert process.returncode == 0
    return process.stdout.decode(), b"".join(chunks).decode(errors="replace")


def test_call_record_csv_files_are_imported_with_bad_rows_quarantined_by_line(
    env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.channels.test_cdr_folder import row

    export = tmp_path / "Master.csv"
    export.write_text("\n".join([row(1), '"broken","row', row(2)]) + "\n", "utf-8")
    assert main(["inbox", "import", str(export), "--format", "asterisk", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["new"], summary["quarantined"]) == (3, 1)

    assert main(["inbox", "list", "--status", "quarantined", "--json"]) == 0
    [quarantined] = json.loads(capsys.readouterr().out)["rows"]
    assert quarantined["channel"] == "phone"
    assert quarantined["reason"].startswith("bad_cdr_row: Master.csv line 2: ")

    assert main(["inbox", "import", str(tmp_path)]) == 0  # recognised as Asterisk; again
    assert capsys.readouterr().out.startswith("imported 0 new, 3 already there")
    assert _count(env, Inbox.status == InboxStatus.PENDING) == 2
