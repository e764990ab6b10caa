"""Every ``plaint`` command as a new user meets it: help that works, and one clear line —
never a traceback — for a missing, unreachable or unmigrated database and for bad input."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from plaint.cli import build_parser, main
from plaint.models import create_db_engine
from tests.servers import free_port

NUMBER = "TS-2026-000001"
PASSWORD = "hunter2-not-for-logs"


def _commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[str, ...]]:
    """Every command path of the parser tree: groups and the commands under them."""
    yield path
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _commands(sub, (*path, name))


COMMANDS = list(_commands(build_parser()))


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    """Return the one line of ``err``; fail unless it is exactly one ``plaint: error:``."""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("plaint: error: "), err
    assert "Traceback" not in err
    return lines[0]


def test_the_tree_has_every_command_group() -> None:
    groups = {path[0] for path in COMMANDS if path}
    assert {
        "run",
        "db",
        "tickets",
        "classify",
        "report",
        "residents",
        "sla",
        "outbox",
        "notice",
    } <= groups
    assert {("notice", "share"), ("notice", "revoke")} <= set(COMMANDS)
    assert ("tickets", "reclassify") in COMMANDS
    staff_actions = ("reply", "note", "assign", "claim", "transfer", "wait", "resume",
                     "resolve", "close", "reopen", "reclassify", "acknowledge",
                     "merge", "plan")  # fmt: skip
    assert {("tickets", action) for action in staff_actions} <= set(COMMANDS)


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "plaint")
def test_every_command_has_help(path: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*path, "--help"])
    out, err = capsys.readouterr()
    assert exited.value.code == 0
    assert out.startswith(f"usage: plaint {' '.join(path)}".rstrip())
    assert err == ""


@pytest.fixture
def empty_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh machine: no database, no configuration, nothing in the environment."""
    for name in ("PLAINT_DATABASE_URL", "PLAINT_CONFIG", "PLAINT_MODEL_DIR", "PLAINT_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    data = tmp_path / "data"
    monkeypatch.setenv("PLAINT_DATA_DIR", str(data))
    return data


def _database_commands(tmp: Path) -> list[list[str | Path]]:
    residents = tmp / "residents.csv"
    residents.write_text("姓名,手机\n张三,13800000000\n", "utf-8")
    actions = ["respond", "accept", "resume", "close", "reopen", "acknowledge", "claim"]
    return [
        ["tickets", "list"],
        ["tickets", "show", NUMBER],
        ["tickets", "show", NUMBER, "--json"],
        ["tickets", "explain", NUMBER],
        *(["tickets", action, NUMBER, "--by", "desk"] for action in actions),
        ["tickets", "wait", NUMBER, "--by", "desk", "--needed", "照片"],
        ["tickets", "resolve", NUMBER, "--by", "desk", "--resolution", "已清运"],
        ["tickets", "transfer", NUMBER, "--by", "desk", "--to", "cleaning", "--reason", "错派"],
        ["tickets", "reply", NUMBER, "--by", "desk", "--text", "已安排", "--key", "k1"],
        ["tickets", "note", NUMBER, "--by", "desk", "--text", "已电话联系"],
        ["tickets", "merge", NUMBER, "--by", "desk", "--into", "TS-2026-000002"],
        ["tickets", "assign", NUMBER, "--by", "desk", "--to", "wang.gong"],
        ["tickets", "reclassify", NUMBER, "--by", "desk", "--level", "2"],
        ["tickets", "new", "--by", "desk", "--text", "电梯坏了", "--phone", "13800000000"],
        ["tickets", "extend", NUMBER, "--by", "desk", "--until", "2026-12-31", "--reason", "配件"],
        ["report", "sla", "--month", "2026-11"],
        ["report", "monthly", "--month", "2026-11", "--out", tmp / "report.html"],
        ["notice", "share", "--community", "翠湖花园", "--month", "2026-11", "--by", "desk"],
        ["notice", "revoke", "1", "--by", "desk"],
        ["report", "warnings", "--json"],
        ["sla", "sweep"],
        ["residents", "show", "13800000000"],
        ["residents", "language", "13800000000", "en"],
        ["residents", "import", residents],
        ["outbox", "list"],
        ["outbox", "list", "--status", "failed", "--json"],
        ["outbox", "retry", "1"],
        ["train", "--corrections", "--label-field", "sub_topic", "--out", tmp / "model"],
    ]


def test_database_commands_on_a_fresh_machine_say_to_run_db_upgrade(
    empty_data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for args in _database_commands(tmp_path):
        code, out, err = run(capsys, *args)
        assert (code, out) == (2, ""), args
        line = one_error_line(err)
        assert f"no database at sqlite:///{empty_data_dir / 'plaint.db'} yet" in line, args
        assert "run plaint db upgrade" in line
    assert not empty_data_dir.exists()  # looking for the database did not create one
    assert not (tmp_path / "model").exists()
    assert not (tmp_path / "report.html").exists()


def test_db_upgrade_creates_the_directory_of_a_sqlite_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "deep" / "er" / "plaint.db"
    monkeypatch.setenv("PLAINT_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("PLAINT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PLAINT_CONFIG", raising=False)
    assert run(capsys, "db", "upgrade")[0] == 0
    assert database.is_file()
    code, out, err = run(capsys, "tickets", "list")
    assert (code, err) == (0, "")
    assert out.split()[:2] == ["number", "status"]


def test_an_unreachable_server_is_one_line_without_the_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()  # nothing listens there
    monkeypatch.setenv("PLAINT_DATABASE_URL", f"postgresql://plaint:{PASSWORD}@127.0.0.1:{port}/x")
    monkeypatch.delenv("PLAINT_CONFIG", raising=False)
    for args in (["tickets", "list"], ["db", "upgrade"]):
        code, _, err = run(capsys, *args)
        line = one_error_line(err)
        assert code == 2
        assert f"the database at postgresql://plaint:***@127.0.0.1:{port}/x" in line
        assert line.endswith(": psycopg.OperationalError")
        assert PASSWORD not in err


@pytest.fixture
def database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated, empty database (SQLite, then PostgreSQL) the commands use; a PostgreSQL
    URL carries a password (the test server ignores it) that must never be printed."""
    url = make_url(db_url)
    if url.get_backend_name() == "postgresql":
        url = url.set(password=PASSWORD)
    shown = url.render_as_string(hide_password=False)
    monkeypatch.setenv("PLAINT_DATABASE_URL", shown)
    monkeypatch.delenv("PLAINT_CONFIG", raising=False)
    return shown


def _execute(url: str, statement: str) -> None:
    engine = create_db_engine(url)
    with engine.begin() as connection:
        connection.execute(text(statement))
    engine.dispose()


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("UPDATE alembic_version SET version_num = '0004'",
         "is at schema 0004, older than this plaint; run plaint db upgrade"),
        ("UPDATE alembic_version SET version_num = '9999'",
         "is at schema 9999, newer than this plaint knows; upgrade plaint"),
        ("DELETE FROM alembic_version", "has no plaint schema yet; run plaint db upgrade"),
    ],
    ids=["behind", "ahead", "no schema"],
)  # fmt: skip
def test_a_database_at_another_schema_says_what_to_do(
    database: str, statement: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _execute(database, statement)
    code, out, err = run(capsys, "tickets", "list")
    assert (code, out) == (2, "")
    assert expected in one_error_line(err)
    assert PASSWORD not in err


def test_a_database_failure_in_a_command_is_one_line_without_sql(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cascade = " CASCADE" if database.startswith("postgresql") else ""
    _execute(database, f"DROP TABLE tickets{cascade}")
    code, out, err = run(capsys, "tickets", "list")
    line = one_error_line(err)
    assert (code, out) == (2, "")
    assert "the database at " in line
    assert "failed: " in line
    assert "SELECT" not in line.upper()
    assert PASSWORD not in err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["tickets", "show", NUMBER], f"no ticket numbered '{NUMBER}'"),
        (["tickets", "explain", NUMBER], f"no ticket numbered '{NUMBER}'"),
        (["tickets", "explain", NUMBER, "--at", "yesterday"], "--at 'yesterday' is not an ISO"),
        (["tickets", "respond", NUMBER, "--by", "nobody"], "no active member of staff"),
        (["tickets", "respond", NUMBER, "--by", "x", "--at", "31/12"], "--at '31/12' is not"),
        (["tickets", "reclassify", NUMBER, "--by", "nobody"], "reclassify needs --sub-topic"),
        (["tickets", "note", NUMBER, "--by", "nobody", "--text", "x"], "no active member of"),
        (["tickets", "claim", NUMBER, "--by", "nobody"], "no active member of staff"),
        (
            ["tickets", "new", "--by", "nobody", "--text", "漏水", "--phone", "13800000000"],
            "no active member of staff",
        ),
        (
            ["tickets", "extend", NUMBER, "--by", "x", "--until", "soon", "--reason", "r"],
            "--until 'soon' is not",
        ),
        (
            [
                "tickets",
                "extend",
                NUMBER,
                "--by",
                "nobody",
                "--until",
                "2026-12-31",
                "--reason",
                "r",
            ],
            "no active member of staff",
        ),
        (["tickets", "list", "--status", "lost"], "--status must be one of open, "),
        (["tickets", "list", "--limit", "0"], "--limit must be at least 1"),
        (["report", "sla", "--month", "2026-11", "--as-of", "soon"], "--as-of 'soon' is not"),
        (["report", "warnings", "--as-of", "soon"], "--as-of 'soon' is not"),
        (["report", "monthly", "--month", "2026-13", "--out", "r.html"], "--month must be YYYY-MM"),
        (
            ["report", "monthly", "--month", "2026-11", "--out", "r.html", "--as-of", "soon"],
            "--as-of 'soon' is not",
        ),
        (
            ["notice", "share", "--community", "X", "--month", "2026-13", "--by", "d"],
            "--month must be YYYY-MM",
        ),
        (
            ["notice", "share", "--community", "X", "--month", "2026-11", "--by", "nobody"],
            "no active member of staff",
        ),
        (["notice", "revoke", "1", "--by", "nobody"], "no active member of staff"),
        (["sla", "sweep", "--now", "noon"], "--now 'noon' is not an ISO 8601"),
        (["residents", "show", "nobody@example.com"], "no resident with that phone number"),
        (["outbox", "retry", "999"], "no notification 999"),
        (["outbox", "list", "--limit", "0"], "--limit must be at least 1"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_bad_input_is_one_line(
    database: str, args: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, *args)
    assert (code, out) == (2, "")
    assert expected in one_error_line(err)
