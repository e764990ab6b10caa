"""Staff actions, the SLA timeline and the sweep from the command line."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from plaint.cli import main
from tests.conftest import source_toml
from tests.plant import Plant
from tests.workers.test_flow import complaint
from tests.workers.test_sla_flow import STAFF

# The customer-service desk acts in these tests (it sees every department's tickets); it is
# configured for the command line only, so the plant's routing and assignment are those of
# STAFF.
DESK = """
[[staff]]
code = "desk"
name = "客服台"
role = "desk"
"""


@pytest.fixture
def cli_plant(
    make_plant: Callable[[str], Plant], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Plant:
    plant = make_plant(STAFF)
    config = tmp_path / "cli.toml"
    config.write_text(source_toml(plant.mailbox) + STAFF + DESK, "utf-8")
    monkeypatch.setenv("PLAINT_CONFIG", str(config))
    monkeypatch.setenv("PLAINT_DATABASE_URL", plant.rt.settings.database_url)
    plant.mailbox.append(complaint(1, "3号楼楼道灯坏了一个星期"))
    plant.poll()
    return plant


def test_actions_pause_and_explain_the_clocks(
    cli_plant: Plant, capsys: pytest.CaptureFixture[str]
) -> None:
    [ticket] = cli_plant.tickets()
    received = ticket.received_at
    number = ticket.number
    at = lambda hours: (received + timedelta(hours=hours)).isoformat()  # noqa: E731
    assert main(["tickets", "assign", number, "--by", "desk", "--to", "wang.gong",
                 "--at", at(0.5)]) == 0  # fmt: skip
    assert main(["tickets", "respond", number, "--by", "wang.gong", "--at", at(1)]) == 0
    assert main(["tickets", "wait", number, "--by", "wang.gong", "--at", at(2),
                 "--needed", "照片"]) == 0  # fmt: skip
    assert main(["tickets", "resume", number, "--by", "wang.gong", "--at", at(50)]) == 0
    out = capsys.readouterr().out
    assert f"{number}: resume recorded; status responded" in out

    assert main(["tickets", "explain", number, "--at", at(51)]) == 0
    explained = capsys.readouterr().out
    assert "policy 'default'" in explained
    assert "first_response: budget 24 hours (clock time)" in explained
    assert "closure: budget 3 working days" in explained
    assert "(in time)" in explained  # the first response at +1 h
    assert "waiting on the resident: not counted" in explained

    assert main(["tickets", "resume", number, "--by", "desk"]) == 2
    assert "cannot resume" in capsys.readouterr().err
    assert main(["tickets", "transfer", number, "--by", "desk", "--to", "nowhere",
                 "--reason", "x"]) == 2  # fmt: skip
    assert "no department 'nowhere'" in capsys.readouterr().err


def test_an_unknown_staff_code_changes_nothing(
    cli_plant: Plant, capsys: pytest.CaptureFixture[str]
) -> None:
    [before] = cli_plant.tickets()
    assert main(["tickets", "respond", before.number, "--by", "nobody"]) == 2
    assert main(["tickets", "reclassify", before.number, "--by", "nobody", "--level", "2"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == ["plaint: error: no active member of staff with code 'nobody' "
                   "(see plaint staff list)"] * 2  # fmt: skip
    [after] = cli_plant.tickets()
    assert (after.status, after.level, len(after.events)) == (
        before.status, before.level, len(before.events),
    )  # fmt: skip


def test_sla_sweep_command_fires_what_is_due(
    cli_plant: Plant, capsys: pytest.CaptureFixture[str]
) -> None:
    [ticket] = cli_plant.tickets()
    later = (ticket.received_at + timedelta(hours=13)).isoformat()
    assert main(["sla", "sweep", "--now", later]) == 0
    assert "1 warnings/breaches/escalations, 1 notifications queued" in capsys.readouterr().out
    assert main(["sla", "sweep", "--now", later]) == 0
    assert "0 warnings/breaches/escalations" in capsys.readouterr().out
    assert main(["tickets", "explain", ticket.number, "--at", later]) == 0
    assert "first_response cycle 0 warn:50" in capsys.readouterr().out


def test_reclassifying_as_an_emergency_changes_the_policy_and_due_times(
    cli_plant: Plant, capsys: pytest.CaptureFixture[str]
) -> None:
    [ticket] = cli_plant.tickets()
    number, received = ticket.number, ticket.received_at
    assert ticket.first_response_due == received + timedelta(hours=24)
    assert main(["tickets", "reclassify", number, "--by", "desk", "--urgency", "emergency",
                 "--sub-topic", "power"]) == 0  # fmt: skip
    assert "policy emergency" in capsys.readouterr().out
    [ticket] = cli_plant.tickets()
    assert (ticket.sub_topic, ticket.urgency, ticket.sla_policy) == ("power", "emergency",
                                                                     "emergency")  # fmt: skip
    assert ticket.first_response_due == received + timedelta(minutes=30)
    kinds = [e.kind for e in ticket.events]
    assert kinds[-2:] == ["reclassified", "policy_changed"]
    assert ticket.events[-2].data["before"]["sub_topic"] == "public_facility"
    assert main(["tickets", "reclassify", number, "--by", "desk", "--level", "7"]) == 2
    assert "level must be one of [1, 2]" in capsys.readouterr().err


def test_a_transfer_keeps_the_clocks_running(cli_plant: Plant) -> None:
    [ticket] = cli_plant.tickets()
    due = ticket.first_response_due
    at = (ticket.received_at + timedelta(hours=3)).isoformat()
    assert main(["tickets", "transfer", ticket.number, "--by", "desk", "--to", "cleaning",
                 "--reason", "保洁的事", "--at", at]) == 0  # fmt: skip
    [ticket] = cli_plant.tickets()
    assert ticket.department.code == "cleaning"
    assert ticket.first_response_due == due
    data = ticket.events[-1].data
    assert (data["from"], data["to"], data["reason"]) == ("engineering", "cleaning", "保洁的事")
    # The new department's assignment rule picks the handler (or nobody).
    assert ticket.assignee == data["assignee_to"]
