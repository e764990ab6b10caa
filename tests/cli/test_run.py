"""Start-up of ``plaint run``/``worker``/``clock`` in a year nobody has published yet, and
``plaint sla recompute`` once somebody has: the clock is an argument, the database real."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plaint import cli
from plaint.cli.run import (
    calendar_job,
    log_calendar_notices,
    recompute_at_start,
    startup_calendar,
)
from plaint.config import Config, load_config, load_settings
from plaint.config.calendars import package_years
from plaint.errors import CalendarCoverageError
from plaint.models import Ticket
from plaint.service.store import sync_departments
from tests.service.test_recompute import SCHEDULE_2027, sh
from tests.web.conftest import triage_mail

pytestmark = pytest.mark.skipif(2027 in package_years(), reason="chinesecalendar has 2027")


PROVISIONAL, UNCOVERED = (
    "calendar year {} is provisional: {}'s make-up",
    "due times reaching {} fail",
)


@pytest.mark.parametrize(
    ("now", "toml", "expected"),
    [
        ("2027-01-04 09:00", "", [(PROVISIONAL, 2027)]),
        ("2027-06-01 09:00", "", [(PROVISIONAL, 2027)]),
        ("2027-11-02 09:00", "", [(PROVISIONAL, 2027), (PROVISIONAL, 2028)]),
        ("2026-10-30 09:00", "", []),
        ("2026-11-02 09:00", "", [(PROVISIONAL, 2027)]),
        ("2027-01-04 09:00", SCHEDULE_2027, []),
        ("2027-11-02 09:00", SCHEDULE_2027, [(PROVISIONAL, 2028)]),
        ("2100-11-02 09:00", "", [(PROVISIONAL, 2100), (UNCOVERED, 2101)]),
    ],
    ids=[
        "january, unpublished",
        "june, unpublished",
        "november: next year too",
        "october: this year official",
        "november: next year provisional",
        "january, published",
        "november, published",
        "the last year any data covers",
    ],
)
def test_start_up_never_stops_for_a_provisional_year(
    tmp_path: Path, now: str, toml: str, expected: list[tuple[str, int]]
) -> None:
    path = tmp_path / "plaint.toml"
    path.write_text(toml, "utf-8")
    _, notices = startup_calendar(path, now=sh(now))
    assert len(notices) == len(expected)
    for notice, (prefix, year) in zip(notices, expected, strict=True):
        assert notice.startswith(prefix.format(year, year))
        assert f"add years = [{year}]" in notice


def test_start_up_stops_for_a_year_no_data_covers() -> None:
    with pytest.raises(CalendarCoverageError, match="no holiday data for 2101"):
        startup_calendar(None, now=sh("2101-01-04 09:00"))


def test_a_clock_under_plaint_run_leaves_the_notices_at_start_to_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    job = calendar_job(load_config(None), skip=1, clock=lambda: sh("2027-01-04 09:00"))
    with caplog.at_level(logging.WARNING, logger="plaint.cli.run"):
        job()  # at start: plaint run has logged them
        assert caplog.records == []
        job()  # a day later
    assert [r.getMessage()[:34] for r in caplog.records] == ["calendar year 2027 is provisional:"]


def test_the_daily_check_logs_the_notices(caplog: pytest.LogCaptureFixture) -> None:
    config = load_config(None)
    with caplog.at_level(logging.WARNING, logger="plaint.cli.run"):
        notices = log_calendar_notices(config, now=sh("2027-01-04 09:00"))
    assert [r.getMessage() for r in caplog.records] == list(notices)
    assert len(notices) == 1


@pytest.fixture
def provisional_ticket(
    sessions: sessionmaker[Session], make_config: Callable[..., Config], tmp_path: Path
) -> tuple[str, Path]:
    """A ticket of 4 February 2027 whose due times come from the statutory holidays, and
    the path of a configuration with 2027's schedule."""
    config = make_config("")
    with sessions.begin() as session:
        sync_departments(session, config.departments)
    number = triage_mail(sessions, config, 1, "门口垃圾两天没人清运", sh("2027-02-04 10:00"))
    path = tmp_path / "published.toml"
    path.write_text(SCHEDULE_2027, "utf-8")
    return number, path


def closure_due(sessions: sessionmaker[Session], number: str) -> tuple[object, bool]:
    with sessions() as session:
        row = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        return row.closure_due, row.sla_provisional


def test_plaint_run_recomputes_before_its_children_start(
    sessions: sessionmaker[Session],
    db_url: str,
    provisional_ticket: tuple[str, Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    number, path = provisional_ticket
    settings = load_settings({"PLAINT_DATABASE_URL": db_url, "PLAINT_CONFIG": str(path)})
    config, _ = startup_calendar(path, now=sh("2027-02-04 12:00"))
    with caplog.at_level(logging.INFO, logger="plaint.cli.run"):
        recompute_at_start(settings, config, now=sh("2027-02-04 12:00"))
    assert closure_due(sessions, number) == (sh("2027-02-15 10:00"), False)
    assert "recomputed due times: 1 tickets changed, 1 now final, 0 still provisional" in [
        r.getMessage() for r in caplog.records
    ]


@pytest.fixture
def only_the_sla_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "_COMMAND_MODULES", ("plaint.cli.sla",))


@pytest.mark.usefixtures("only_the_sla_command")
def test_sla_recompute_prints_what_changed(
    sessions: sessionmaker[Session],
    db_url: str,
    provisional_ticket: tuple[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    number, path = provisional_ticket
    monkeypatch.setenv("PLAINT_DATABASE_URL", db_url)
    monkeypatch.setenv("PLAINT_CONFIG", str(path))
    assert cli.main(["sla", "recompute", "--json", "--now", "2027-02-04T12:00"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result == {
        "checked": 1, "changed": 1, "confirmed": 1, "provisional": 0, "failed": 0,
        "breached_repaired": 0,
        "changes": [{
            "number": number,
            "before": {"first_response": "2027-02-05T02:00:00+00:00",
                       "closure": "2027-02-11T02:00:00+00:00"},
            "after": {"first_response": "2027-02-05T02:00:00+00:00",
                      "closure": "2027-02-15T02:00:00+00:00"},
            "provisional_years": [],
        }],
    }  # fmt: skip
    assert cli.main(["sla", "recompute", "--now", "2027-02-04T12:00"]) == 0
    assert capsys.readouterr().out == (
        "recomputed 0 tickets: 0 changed, 0 now final, 0 still provisional, "
        "0 without calendar data\n"
    )
