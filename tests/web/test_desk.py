"""Complaints taken by the desk through ``POST /api/v1/tickets``: into the inbox as channel
``desk``, triaged like any other item (the desk's codes honoured), exactly once per
Idempotency-Key, for the roles that take complaints only; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from plaint.config import Config
from plaint.config.messages import packaged_messages
from plaint.models import Inbox, Notification, Resident, Ticket, read_session_factory
from plaint.pipeline.texts import render
from plaint.service.directory import issue_token, sync_staff
from plaint.service.explain import explain_ticket
from plaint.service.reports import sla_kpis
from plaint.service.staff import Action, act
from plaint.service.store import sync_departments
from plaint.service.triage import triage_inbox
from plaint.web.app import create_app
from tests.web.conftest import TestClient

# Monday 2 November 2026, 10:00 in Shanghai.
NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
STAFF = """
[[staff]]
code = "desk.wu"
name = "吴客服"
role = "desk"
[[staff]]
code = "li.clean"
name = "李保洁"
department = "cleaning"
[[staff]]
code = "zhao.fin"
name = "赵会计"
department = "finance"
[[staff]]
code = "qian.pm"
name = "钱经理"
role = "property_manager"
"""
TICKETS = "/api/v1/tickets"


@dataclass
class Desk:
    """The app, its sessions and config, a token per staff code, and the inbox ids it
    enqueued for triage (triaged by :meth:`triage`, as a worker would)."""

    client: TestClient
    sessions: sessionmaker[Session]
    config: Config
    tokens: dict[str, str]
    queued: list[int]

    def post(self, path: str, body: dict[str, Any], *, as_: str, key: str | None = None
             ) -> httpx.Response:  # fmt: skip
        headers = {"Authorization": f"Bearer {self.tokens[as_]}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.client.post(path, json=body, headers=headers)

    def get(self, path: str, *, as_: str) -> httpx.Response:
        return self.client.get(path, headers={"Authorization": f"Bearer {self.tokens[as_]}"})

    def triage(self) -> None:
        while self.queued:
            with self.sessions.begin() as session:
                triage_inbox(session, self.queued.pop(0), config=self.config, now=NOW)

    def take(self, body: dict[str, Any], **kw: Any) -> str:
        """POST a complaint, triage it, and return its ticket number."""
        taken = self.post(TICKETS, body, as_="desk.wu", **kw)
        assert taken.status_code == 202, taken.text
        self.triage()
        item = self.get(taken.headers["Location"], as_="desk.wu").json()
        assert item["status"] == "done", item
        number: str = item["ticket"]
        return number


def open_desk(
    sessions: sessionmaker[Session],
    config: Config,
    *,
    clock: Callable[[], datetime],
    **extra: Any,
) -> Iterator[Desk]:
    """The staff of ``config`` with a token each, and the app on ``clock`` (``extra``: more
    create_app arguments, e.g. a secret key for the pages)."""
    with sessions.begin() as session:
        sync_departments(session, config.departments)
        sync_staff(session, config.staff, now=clock())
        tokens = {m.code: issue_token(session, m.code, now=clock()) for m in config.staff}
    queued: list[int] = []
    # As ``plaint web`` builds it: reads begin deferred (on SQLite), writes through ``writer``.
    reads = read_session_factory(sessions.kw["bind"])
    app = create_app(config=config, sessions=reads, redis_ready=lambda: True, clock=clock,
                     writer=sessions, enqueue=queued.append, **extra)  # fmt: skip
    with TestClient(app) as client:
        yield Desk(client, sessions, config, tokens, queued)


@pytest.fixture
def desk(sessions: sessionmaker[Session], make_config: Callable[..., Config]) -> Iterator[Desk]:
    yield from open_desk(sessions, make_config(STAFF), clock=lambda: NOW)


def ticket(desk: Desk, number: str) -> Ticket:
    with desk.sessions() as session:
        found = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        found.events, found.resident  # noqa: B018 (loaded before the session closes)
        return found


def test_a_phoned_complaint_becomes_a_ticket_with_an_acknowledgement(desk: Desk) -> None:
    complained = NOW - timedelta(hours=1)
    body = {"text": "3号楼2单元楼道垃圾没人清理", "phone": "138 0013 8000", "name": "张先生",
            "mode": "phone", "complained_at": complained.isoformat()}  # fmt: skip
    taken = desk.post(TICKETS, body, as_="desk.wu")
    assert taken.status_code == 202, taken.text
    item_id = taken.json()["inbox_id"]
    assert taken.json()["created"] is True
    assert desk.get(f"/api/v1/inbox/{item_id}", as_="desk.wu").json()["status"] == "pending"
    assert desk.queued == [item_id]
    desk.triage()
    item = desk.get(f"/api/v1/inbox/{item_id}", as_="desk.wu").json()
    assert (item["status"], item["error"]) == ("done", None)
    found = ticket(desk, item["ticket"])
    assert (found.channel, found.department.code) == ("desk", "cleaning")
    assert found.received_at == complained  # the clocks start when the resident complained
    assert found.first_response_due == complained + timedelta(hours=24)
    received = next(e for e in found.events if e.kind == "received")
    assert received.data["taken_by"] == "desk.wu"
    assert received.data["mode"] == "phone"
    assert found.resident.phone == "+8613800138000"
    assert found.resident.name == "张先生"
    with desk.sessions() as session:
        ack = session.scalars(select(Notification).where(Notification.ticket_id == found.id))
        assert [(n.template, n.recipient) for n in ack] == [("ack", str(found.resident.id))]


def test_the_desk_codes_are_honoured_instead_of_the_classifier(desk: Desk) -> None:
    number = desk.take({"text": "门口垃圾没人清运", "email": "Owner@Example.com",
                        "mode": "letter", "sub_topic": "property_fee",
                        "department": "customer_service"})  # fmt: skip
    found = ticket(desk, number)
    assert (found.category, found.sub_topic, found.confidence) == ("fee", "property_fee", 1.0)
    assert found.department.code == "customer_service"  # the desk's, not the sub-topic's
    assert found.resident.email == "owner@example.com"
    routed = next(e for e in found.events if e.kind == "routed")
    assert routed.data["reason"] == "desk"


def test_a_resident_is_found_by_address(desk: Desk) -> None:
    with desk.sessions.begin() as session:
        session.add(Resident(name="王女士", phone="+8613900000009", building="5",
                             unit="1-302", created_at=NOW))  # fmt: skip
    number = desk.take({"text": "楼上漏水到我家天花板", "building": "5", "unit": "1-302",
                        "mode": "visit"})  # fmt: skip
    assert ticket(desk, number).resident.phone == "+8613900000009"


def test_a_retried_post_makes_no_second_item(desk: Desk) -> None:
    body = {"text": "小区停车收费不合理", "phone": "13800138001"}
    first = desk.post(TICKETS, body, as_="desk.wu", key="call-0001")
    again = desk.post(TICKETS, body, as_="desk.wu", key="call-0001")
    assert (first.status_code, again.status_code) == (202, 202)
    assert first.json()["inbox_id"] == again.json()["inbox_id"]
    assert again.json()["created"] is False
    other = desk.post(TICKETS, {**body, "text": "另一件事"}, as_="desk.wu", key="call-0001")
    assert (other.status_code, other.json()["code"]) == (409, "idempotency_key_reused")
    with desk.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Inbox)) == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"text": "漏水", "phone": "12345"}, "bad_phone"),
        ({"text": "漏水", "email": "not-an-address"}, "bad_email"),
        ({"text": "漏水"}, "no_resident"),
        ({"text": "漏水", "phone": "13800138000", "sub_topic": "unicorns"}, "unknown_sub_topic"),
        ({"text": "漏水", "phone": "13800138000", "department": "mars"}, "unknown_department"),
        ({"text": "漏水", "phone": "13800138000", "category": "fee", "sub_topic": "lift"},
         "code_mismatch"),
        ({"text": "漏水", "phone": "13800138000",
          "complained_at": (NOW + timedelta(hours=1)).isoformat()}, "future_time"),
        ({"text": "   ", "phone": "13800138000"}, "empty_text"),
    ],
    ids=["phone", "email", "nobody", "sub_topic", "department", "mismatch", "future", "empty"],
)  # fmt: skip
def test_bad_input_is_422_with_a_stable_code(desk: Desk, body: dict[str, Any], code: str) -> None:
    response = desk.post(TICKETS, body, as_="desk.wu")
    assert (response.status_code, response.json()["code"]) == (422, code), response.text
    assert desk.queued == []


def test_only_the_desk_managers_and_admins_take_complaints(desk: Desk) -> None:
    body = {"text": "电梯不动了", "phone": "13800138000"}
    refused = desk.post(TICKETS, body, as_="li.clean")
    assert (refused.status_code, refused.json()["code"]) == (403, "role_not_allowed")
    taken = desk.post(TICKETS, body, as_="qian.pm")
    assert taken.status_code == 202
    status = desk.get(taken.headers["Location"], as_="li.clean")
    assert (status.status_code, status.json()["code"]) == (403, "role_not_allowed")
    assert desk.get("/api/v1/inbox/999", as_="desk.wu").status_code == 404
    assert desk.client.post(TICKETS, json=body).status_code == 401


# Extension (延期): POST /api/v1/tickets/{number}/extend.
SH = ZoneInfo("Asia/Shanghai")


def extend(desk: Desk, number: str, until: datetime, *, as_: str) -> httpx.Response:
    body = {"until": until.isoformat(), "reason": "等待外包清运车辆"}
    return desk.post(f"{TICKETS}/{number}/extend", body, as_=as_)


def test_an_extension_moves_the_closure_due_and_tells_the_resident(desk: Desk) -> None:
    number = desk.take({"text": "门口垃圾两天没人清运", "phone": "13800138000"})
    assert ticket(desk, number).closure_due == datetime(2026, 11, 5, 10, 0, tzinfo=SH)
    until = datetime(2026, 11, 13, 18, 0, tzinfo=SH)
    done = extend(desk, number, until, as_="li.clean")
    assert done.status_code == 200, done.text
    assert datetime.fromisoformat(done.json()["closure_due"]) == until
    assert datetime.fromisoformat(done.json()["limit"]) == datetime(2026, 11, 23, 10, 0, tzinfo=SH)
    found = ticket(desk, number)
    assert found.closure_due == until
    event = next(e for e in found.events if e.kind == "extended")
    assert (event.actor, event.data["reason"], event.data["beyond_limit"]) == (
        "li.clean", "等待外包清运车辆", False)  # fmt: skip
    with desk.sessions() as session:
        notice = session.scalars(
            select(Notification).where(Notification.template == "extended")
        ).one()
        text = render(
            notice.template,
            notice.data,
            language="zh",
            zone=SH,
            templates=packaged_messages().templates,
        ).body
        explained = "\n".join(explain_ticket(session, number, config=desk.config, now=NOW))
    assert "等待外包清运车辆" in text
    assert "2026-11-13 18:00" in text
    assert "extended 2026-11-02 10:00: due moved to 2026-11-13 18:00" in explained


def test_beyond_the_limit_only_a_property_manager_extends(desk: Desk) -> None:
    number = desk.take({"text": "门口垃圾两天没人清运", "phone": "13800138000"})
    far = datetime(2026, 12, 1, 18, 0, tzinfo=SH)
    refused = extend(desk, number, far, as_="li.clean")
    assert (refused.status_code, refused.json()["code"]) == (403, "extension_beyond_limit")
    hidden = extend(desk, number, far, as_="zhao.fin")  # another department's ticket
    assert (hidden.status_code, hidden.json()["code"]) == (404, "not_found")
    assert extend(desk, number, far, as_="qian.pm").status_code == 200
    earlier = extend(desk, number, far - timedelta(days=1), as_="qian.pm")
    assert (earlier.status_code, earlier.json()["code"]) == (409, "not_extendable")
    with desk.sessions() as session:
        rows = sla_kpis(session, start=NOW - timedelta(days=1), end=NOW + timedelta(days=1),
                        now=NOW)  # fmt: skip
    assert rows[-1].extensions == 1


def test_a_resolved_ticket_cannot_be_extended(desk: Desk) -> None:
    number = desk.take({"text": "门口垃圾两天没人清运", "phone": "13800138000"})
    with desk.sessions.begin() as session:
        found = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        act(session, found, Action.RESOLVE, actor="li.clean", at=NOW, config=desk.config)
    refused = extend(desk, number, datetime(2026, 11, 13, 18, 0, tzinfo=SH), as_="li.clean")
    assert (refused.status_code, refused.json()["code"]) == (409, "not_extendable")


def test_the_openapi_schema_documents_the_desk_routes_and_their_errors(desk: Desk) -> None:
    paths = desk.client.get("/openapi.json").json()["paths"]
    take, extend_ = paths[TICKETS]["post"], paths[f"{TICKETS}/{{number}}/extend"]["post"]
    assert {"202", "403", "409", "422"} <= set(take["responses"])
    assert {"200", "403", "404", "409", "422"} <= set(extend_["responses"])
    assert "Idempotency-Key" in {p["name"].title() for p in take["parameters"]}
    assert "get" in paths["/api/v1/inbox/{inbox_id}"]
