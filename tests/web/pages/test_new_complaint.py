"""The New complaint page: the desk records a complaint taken by phone, in person or in
writing through the form (the same service as ``POST /api/v1/tickets``), finds the resident
as it types, and lands on the ticket once triaged; a double submit records once."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from plaint.config import Config
from plaint.models import Inbox, Ticket
from tests.web.pages.conftest import SECRET, csrf_of
from tests.web.test_desk import NOW, STAFF, Desk, open_desk

_KEY = re.compile(r'name="idempotency" value="([^"]+)"')


@pytest.fixture
def desk(sessions: sessionmaker[Session], make_config: Callable[..., Config]) -> Iterator[Desk]:
    yield from open_desk(sessions, make_config(STAFF), clock=lambda: NOW, secret_key=SECRET)


def sign_in(desk: Desk, code: str) -> None:
    form = desk.client.get("/signin")
    signed = desk.client.post("/signin", data={"csrf": csrf_of(form.text),
                                               "token": desk.tokens[code]})  # fmt: skip
    assert signed.status_code == 200, signed.text


def test_a_visit_recorded_on_the_page_becomes_a_ticket_once(desk: Desk) -> None:
    sign_in(desk, "desk.wu")
    form = desk.client.get("/tickets/new")
    assert form.status_code == 200
    assert 'id="nav-new"' in form.text
    assert "2026-11-02T10:00" in form.text  # the time complained defaults to now, local
    [key] = _KEY.findall(form.text)
    data = {"csrf": csrf_of(form.text), "idempotency": key, "mode": "visit",
            "text": "5号楼门口的路灯坏了一周了", "phone": "139 0013 9000", "name": "刘女士",
            "complained_at": "2026-11-02T09:15", "department": "cleaning"}  # fmt: skip
    first = desk.client.post("/tickets/new", data=data, follow_redirects=False)
    again = desk.client.post("/tickets/new", data=data, follow_redirects=False)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]  # the same item
    assert len(set(desk.queued)) == 1  # a pending item is enqueued again: triage is idempotent
    pending = desk.client.get(first.headers["location"])
    assert 'id="item-status" data-status="pending">待分拣' in pending.text
    desk.triage()
    page = desk.client.get(first.headers["location"])
    assert re.search(r"/tickets/TS-\d{4}-\d{6}$", str(page.url)), page.url
    assert "5号楼门口的路灯坏了一周了" in page.text
    assert "刘女士" in page.text
    with desk.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Inbox)) == 1
        ticket = session.scalars(select(Ticket)).one()
        assert ticket.channel == "desk"
        assert ticket.department.code == "cleaning"
        assert ticket.received_at == NOW - timedelta(minutes=45)
        assert ticket.resident is not None
        assert ticket.resident.phone == "+8613900139000"


def test_the_resident_is_found_as_the_desk_types(desk: Desk) -> None:
    desk.take({"text": "楼上漏水", "phone": "13800138000", "name": "张先生",
               "building": "3", "unit": "301"})  # fmt: skip
    sign_in(desk, "desk.wu")
    for typed in ("1380013", "+86138", "张先", "301"):
        found = desk.client.get("/tickets/new/residents", params={"q": typed}).json()
        assert [r["phone"] for r in found["residents"]] == ["+8613800138000"], typed
    assert desk.client.get("/tickets/new/residents", params={"q": "王"}).json() == {
        "residents": []}  # fmt: skip


def test_only_the_roles_that_record_complaints_see_the_form(desk: Desk) -> None:
    desk.take({"text": "楼上漏水", "phone": "13800138000", "name": "张先生"})
    sign_in(desk, "li.clean")
    assert desk.client.get("/tickets/new").status_code == 403
    assert 'id="nav-new"' not in desk.client.get("/today").text
    found = desk.client.get("/tickets/new/residents", params={"q": "138"})
    assert found.status_code == 403
    assert found.json() == {"residents": []}
    page = desk.client.get("/signin")  # any page carries the session's form token
    data = {"csrf": csrf_of(page.text), "text": "x", "phone": "13900139000"}
    refused = desk.client.post("/tickets/new", data=data)
    assert refused.status_code == 403
    assert "record complaints" in refused.text
    with desk.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Inbox)) == 1  # the take above


def test_a_form_without_its_token_records_nothing(desk: Desk) -> None:
    sign_in(desk, "desk.wu")
    refused = desk.client.post("/tickets/new", data={"text": "x", "phone": "13900139000"})
    assert refused.status_code == 403
    assert desk.queued == []
