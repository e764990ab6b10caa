"""``/api/v1/tickets`` shows which due times are provisional (2027, before its schedule is
published) and stops saying so once the schedule is added and the due times recomputed."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from plaint.config import Config
from plaint.config.calendars import package_years
from plaint.service.directory import issue_token, sync_staff
from plaint.service.recompute import recompute_provisional
from plaint.service.store import sync_departments
from plaint.web.app import create_app
from tests.service.test_recompute import SCHEDULE_2027, sh
from tests.web.conftest import ADMIN, triage_mail

pytestmark = pytest.mark.skipif(2027 in package_years(), reason="chinesecalendar has 2027")

NOW = sh("2027-02-04 12:00")
LIST = "/api/v1/tickets"


@pytest.fixture
def number(sessions: sessionmaker[Session], make_config: Callable[..., Config]) -> str:
    config = make_config("")
    with sessions.begin() as session:
        sync_departments(session, config.departments)
        sync_staff(session, [ADMIN], now=NOW)
    return triage_mail(sessions, config, 1, "门口垃圾两天没人清运", sh("2027-02-04 10:00"))


def fetch(sessions: sessionmaker[Session], config: Config, path: str) -> dict[str, object]:
    with sessions.begin() as session:
        token = issue_token(session, ADMIN.code, now=NOW)
    app = create_app(config=config, sessions=sessions, redis_ready=lambda: True,
                     clock=lambda: NOW)  # fmt: skip
    with TestClient(app) as client:
        response = client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    return body


def provisional_fields(body: dict[str, object]) -> tuple[object, object, object]:
    sla = body["sla"]
    assert isinstance(sla, dict)
    clocks = {c["clock"]: c["provisional"] for c in sla["clocks"]}
    return body["provisional"], clocks, sla["provisional_years"]


def test_the_api_marks_provisional_due_times_until_recomputed(
    sessions: sessionmaker[Session], make_config: Callable[..., Config], number: str
) -> None:
    unpublished = make_config("")
    listed = fetch(sessions, unpublished, LIST)["items"]
    assert isinstance(listed, list)
    assert [(item["number"], item["provisional"]) for item in listed] == [(number, True)]
    detail = fetch(sessions, unpublished, f"{LIST}/{number}")
    assert detail["closure_due"] == "2027-02-11T02:00:00Z"
    assert provisional_fields(detail) == (
        True, {"first_response": False, "closure": True}, [2027]
    )  # fmt: skip

    published = make_config(SCHEDULE_2027)
    recompute_provisional(sessions, config=published, now=NOW)
    detail = fetch(sessions, published, f"{LIST}/{number}")
    assert detail["closure_due"] == "2027-02-15T02:00:00Z"
    assert provisional_fields(detail) == (
        False, {"first_response": False, "closure": False}, []
    )  # fmt: skip
    events = detail["events"]
    assert isinstance(events, list)
    assert "sla_recomputed" in [e["kind"] for e in events]
