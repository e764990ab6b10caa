"""Early warning on a generated history: a spike of lift complaints in one building is
flagged, announced once to the property manager, and seen only by those who may see
its tickets; a steady history raises nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from plaint.config import Config
from plaint.models import Notification, WarningSpike
from plaint.pipeline.spikes import Place
from plaint.pipeline.texts import render
from plaint.service.directory import StaffIdentity
from plaint.service.early_warning import current_warnings
from plaint.service.warning_sweep import SPIKE_TEMPLATE, sweep_warnings
from tests.service.warning_history import NOW, SPIKE_PLACE, add_spike, write_history
from tests.workers.test_sla_flow import STAFF

REPO = Path(__file__).resolve().parents[2]
NOTIFY = STAFF + '\n[early_warning]\nnotify = ["property_manager"]\n'
CLEANER = StaffIdentity("liu.bj", "刘保洁", "member", "cleaning")
ENGINEER = StaffIdentity("wang.gong", "王工", "member", "engineering")


def _history(sessions: Any, config: Config, *, spike: int) -> list[str]:
    with sessions.begin() as session:
        return write_history(session, config, spike=spike)


def _outbox(sessions: Any) -> list[Notification]:
    with sessions() as session:
        return list(
            session.scalars(select(Notification).where(Notification.template == SPIKE_TEMPLATE))
        )


def test_a_spike_in_one_building_is_flagged_with_its_tickets(
    sessions: Any, make_config: Callable[..., Config]
) -> None:
    config = make_config(STAFF)
    numbers = _history(sessions, config, spike=6)
    with sessions() as session:
        warnings = current_warnings(session, config=config, now=NOW)
    assert [(w.spike.place, w.spike.sub_topic) for w in warnings] == [(Place(*SPIKE_PLACE), "lift")]
    (warning,) = warnings
    assert warning.spike.recent == 6
    assert warning.spike.baseline == 7  # one lift ticket every four days
    assert warning.spike.p_value < 1e-4
    assert warning.spike.ratio > 10
    assert [t.number for t in warning.tickets] == numbers[::-1]  # oldest first
    assert {t.department for t in warning.tickets} == {"engineering"}


def test_a_steady_history_raises_nothing(sessions: Any, make_config: Callable[..., Config]) -> None:
    config = make_config(NOTIFY)
    _history(sessions, config, spike=0)
    with sessions() as session:
        assert current_warnings(session, config=config, now=NOW) == []
    assert sweep_warnings(sessions, config=config, now=NOW).opened == 0
    assert _outbox(sessions) == []


def test_a_member_of_another_department_does_not_see_the_spike(
    sessions: Any, make_config: Callable[..., Config]
) -> None:
    config = make_config(STAFF)
    _history(sessions, config, spike=6)
    with sessions() as session:
        assert current_warnings(session, config=config, now=NOW, viewer=CLEANER) == []
        assert len(current_warnings(session, config=config, now=NOW, viewer=ENGINEER)) == 1


def test_the_property_manager_is_told_once_per_spike(
    sessions: Any, make_config: Callable[..., Config]
) -> None:
    config = make_config(NOTIFY)
    _history(sessions, config, spike=6)
    first = sweep_warnings(sessions, config=config, now=NOW)
    assert (first.flagged, first.opened, first.notifications) == (1, 1, 1)
    (row,) = _outbox(sessions)
    assert (row.recipient_kind, row.recipient, row.ticket_id) == ("staff", "li.pm", None)
    assert row.data["place"] == "阳光花园3栋"
    assert row.data["topic"] == "电梯"
    text = render(row.template, row.data, language="zh", zone=config.timezone,
                  templates=config.messages.templates)  # fmt: skip
    assert text.subject == "[预警] 阳光花园3栋 电梯投诉异常增多"
    assert text.body.startswith("阳光花园3栋的电梯投诉近期 6 件，平时约 0.3 件。工单：TS-S1103-")
    # Later sweeps while it lasts (and the window slides over its tickets): no new row.
    for minutes in (0, 10, 60, 12 * 60):
        again = sweep_warnings(sessions, config=config, now=NOW + timedelta(minutes=minutes))
        assert again.notifications == 0
    assert len(_outbox(sessions)) == 1


def test_a_new_spike_after_the_last_subsided_is_told_again(
    sessions: Any, make_config: Callable[..., Config]
) -> None:
    config = make_config(NOTIFY)
    _history(sessions, config, spike=6)
    sweep_warnings(sessions, config=config, now=NOW)
    quiet = NOW + timedelta(days=2)  # the spike's tickets left the window a day ago
    assert sweep_warnings(sessions, config=config, now=quiet).ended == 1
    later = NOW + timedelta(days=5)
    with sessions.begin() as session:  # the same building, five days later
        add_spike(session, 8, now=later)
    assert sweep_warnings(sessions, config=config, now=later).opened == 1
    assert len(_outbox(sessions)) == 2
    with sessions() as session:
        episodes = session.execute(select(WarningSpike.place, WarningSpike.ended_at)).all()
    assert [(place, ended is None) for place, ended in episodes] == [
        ("阳光花园/3", False), ("阳光花园/3", True),
    ]  # fmt: skip


def test_nobody_is_told_unless_configured(
    sessions: Any, make_config: Callable[..., Config]
) -> None:
    config = make_config(STAFF)
    _history(sessions, config, spike=6)
    assert sweep_warnings(sessions, config=config, now=NOW).opened == 1
    assert _outbox(sessions) == []


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_sweeps_announce_a_spike_once(
    round_: int, db_url: str, sessions: Any, make_config: Callable[..., Config], tmp_path: Path
) -> None:
    config_file = tmp_path / "warn.toml"
    config_file.write_text(NOTIFY + '\n[messages]\nquiet_hours = "off"\n', "utf-8")
    _history(sessions, make_config(NOTIFY), spike=6)
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.service.warning_history",
                "sweep",
                db_url,
                str(config_file),
                str(go),
                NOW.isoformat(),
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    go.touch()
    results = [json.loads(p.communicate(timeout=120)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert sorted(r["opened"] for r in results) == [0, 0, 1]
    assert sum(r["notifications"] for r in results) == 1
    assert len(_outbox(sessions)) == 1
