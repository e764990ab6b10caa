"""A staff API over a database of real tickets: mails stored in the inbox and triaged by
plaint's own triage, swept by the SLA sweep, on SQLite and PostgreSQL."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import StarletteDeprecationWarning

from plaint.channels.base import Delivery
from plaint.config import Config
from plaint.config.sla import StaffMember
from plaint.inbound import ChannelKind
from plaint.models import Ticket, read_session_factory
from plaint.service.directory import issue_token, sync_staff
from plaint.service.sla import sweep
from plaint.service.staff import Action, act
from plaint.service.store import store_delivery, sync_departments
from plaint.service.triage import triage_inbox
from plaint.web.app import create_app
from plaint.web.probes import RedisProbe

with warnings.catch_warnings():
    # Starlette 1.x prefers the httpx2 package for its test client and warns once, at
    # import, when it falls back to httpx (what plaint's test extra installs); it works.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

# Monday 2 November 2026, 09:00 in Shanghai.
T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
# When the API is asked: 13 hours on, past the 50 % warning of a 24-hour first response.
NOW = T0 + timedelta(hours=13)

STAFF_TOML = """
[[staff]]
code = "li.clean"
name = "李保洁"
department = "cleaning"
phone = "+8613900000001"
[[staff]]
code = "wang.clean"
name = "王保洁"
department = "cleaning"
[[staff]]
code = "chen.head"
name = "陈主管"
role = "department_head"
department = "cleaning"
[[staff]]
code = "zhao.fin"
name = "赵会计"
department = "finance"
"""
# Roles the TOML staff tables do not take (yet): added to the directory as values.
DESK = StaffMember("desk.wu", "吴客服", "desk", "customer_service", None, None)
ADMIN = StaffMember("admin.root", "管理员", "admin", None, None, None)

# The residents' complaints, in order of arrival (10 minutes apart), by name.
COMPLAINTS = {
    "garbage": "门口垃圾两天没人清运，味道很大",
    "fee": "今年物业费涨价没有公示收费明细，要求解释",
    "corridor": "楼道里的垃圾桶满了没人清理",
    "lift": "3号楼电梯困人了，快来人！",
}


def mail(n: int, text: str) -> bytes:
    message = EmailMessage()
    message["From"] = f"业主{n} <resident{n}@example.com>"
    message["Subject"] = text[:8]
    message["Message-ID"] = f"<web-{n}@example.com>"
    message.set_content(text)
    return bytes(message)


def triage_mail(sessions: sessionmaker[Session], config: Config, n: int, text: str,
                at: datetime) -> str:  # fmt: skip
    """Store a mail in the inbox as the IMAP adapter would, triage it; return the number."""
    delivery = Delivery("mail", ChannelKind.EMAIL, f"<web-{n}@example.com>", mail(n, text), at,
                        str(n))  # fmt: skip
    with sessions.begin() as session:
        item = store_delivery(session, delivery, now=at)
    with sessions.begin() as session:
        triage_inbox(session, item.inbox_id, config=config, now=at)
    with sessions() as session:
        ticket = session.scalars(select(Ticket).order_by(Ticket.id.desc()).limit(1)).one()
        return ticket.number


def staff_action(sessions: sessionmaker[Session], config: Config, number: str, action: Action,
                 at: datetime) -> None:  # fmt: skip
    with sessions.begin() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        act(session, ticket, action, actor="admin.root", at=at, config=config)


class Clock:
    """The app's clock in tests: :data:`NOW` until moved."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Api:
    """The app under test, its clock, its tickets by complaint name, and a token per
    staff code."""

    client: TestClient
    clock: Clock
    sessions: sessionmaker[Session]
    numbers: dict[str, str]
    tokens: dict[str, str]

    def get(self, path: str, *, as_: str | None = None, **params: Any) -> httpx.Response:
        """GET ``path`` with ``as_``'s token (none if ``None``) and query ``params``."""
        headers = {"Authorization": f"Bearer {self.tokens[as_]}"} if as_ else {}
        return self.client.get(path, headers=headers, params=params)

    def post(self, path: str, *, as_: str | None = None, json: Any = None,
             headers: dict[str, str] | None = None) -> httpx.Response:  # fmt: skip
        """POST ``json`` to ``path`` with ``as_``'s token (none if ``None``)."""
        auth = {"Authorization": f"Bearer {self.tokens[as_]}"} if as_ else {}
        return self.client.post(path, headers={**auth, **(headers or {})}, json=json)


@pytest.fixture
def web_config(make_config: Callable[..., Config]) -> Config:
    return make_config(STAFF_TOML)


@pytest.fixture
def seeded(sessions: sessionmaker[Session], web_config: Config) -> dict[str, str]:
    """Four tickets: garbage (responded), fee, corridor (both warned: at risk) and lift
    (an emergency whose first response breached, then resolved)."""
    config = web_config
    with sessions.begin() as session:
        sync_departments(session, config.departments)
        sync_staff(session, [*config.staff, DESK, ADMIN], now=T0)
    numbers = {
        name: triage_mail(sessions, config, n, text, T0 + timedelta(minutes=10 * n))
        for n, (name, text) in enumerate(COMPLAINTS.items())
    }
    staff_action(sessions, config, numbers["garbage"], Action.RESPOND, T0 + timedelta(hours=1))
    sweep(sessions, config=config, now=T0 + timedelta(hours=2))  # the lift's breach
    staff_action(sessions, config, numbers["lift"], Action.RESOLVE, T0 + timedelta(hours=2))
    sweep(sessions, config=config, now=NOW)  # 50 % warnings of the other first responses
    return numbers


@pytest.fixture
def api(
    sessions: sessionmaker[Session], web_config: Config, seeded: dict[str, str], redis_url: str
) -> Iterator[Api]:
    codes = ("li.clean", "chen.head", "zhao.fin", "desk.wu", "admin.root")
    with sessions.begin() as session:
        tokens = {code: issue_token(session, code, now=T0) for code in codes}
    probe, clock = RedisProbe(redis_url), Clock()
    # As ``plaint web`` builds it: requests read in deferred transactions, actions write.
    reads = read_session_factory(sessions.kw["bind"])
    app = create_app(config=web_config, sessions=reads, redis_ready=probe, clock=clock,
                     writer=sessions)  # fmt: skip
    with TestClient(app) as client:
        yield Api(client, clock, sessions, seeded, tokens)
    probe.close()
