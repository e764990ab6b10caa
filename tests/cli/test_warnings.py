"""``plaint report warnings``: the spikes of a generated history, as a table and JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest

from plaint.config import load_config
from plaint.models import create_db_engine, session_factory
from tests.cli.test_commands import run
from tests.service.warning_history import NOW, write_history


def test_report_warnings_lists_the_spike_and_its_tickets(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PLAINT_DATABASE_URL", db_url)
    monkeypatch.delenv("PLAINT_CONFIG", raising=False)
    engine = create_db_engine(db_url)
    sessions: Any = session_factory(engine)
    with sessions.begin() as session:
        numbers = write_history(session, load_config(None), spike=5)
    engine.dispose()
    code, out, err = run(capsys, "report", "warnings", "--json", "--as-of", NOW.isoformat())
    assert (code, err) == (0, "")
    (row,) = json.loads(out)
    assert (row["place"], row["scope"], row["sub_topic"], row["recent"]) == (
        "阳光花园/3", "building", "lift", 5,
    )  # fmt: skip
    assert row["tickets"] == numbers[::-1]
    code, out, _ = run(capsys, "report", "warnings", "--as-of", NOW.isoformat())
    assert code == 0
    assert "阳光花园/3" in out
    assert numbers[0] in out
    code, out, _ = run(capsys, "report", "warnings", "--as-of", "2026-10-01T09:00+08:00")
    assert out.split()[:6] == ["place", "sub_topic", "recent", "expected", "p_value", "tickets"]
    assert "阳光花园" not in out
