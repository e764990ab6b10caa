"""Outbound webhooks end to end against a real HTTP server on loopback: ticket created,
updated, closed and breached events, each posted once, signed with HMAC-SHA256 over the
timestamp and the body; 5xx retried with backoff, 4xx failed for good; on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plaint.channels.webhook import SIGNATURE_HEADER, WebhookSender, verify
from plaint.config import Config
from plaint.models import Notification, Ticket
from plaint.service.desk import DeskComplaint, take_complaint
from plaint.service.directory import find_staff, sync_staff
from plaint.service.outbox import DispatchResult, RetryPolicy, dispatch_due
from plaint.service.sla import sweep
from plaint.service.staff import Action, act
from plaint.service.store import sync_departments
from plaint.service.triage import triage_inbox

SECRET = "whsec-test-only"
SECRET_ENV = "TEST_WEBHOOK_SECRET"
NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
SH = ZoneInfo("Asia/Shanghai")


@dataclass
class Receiver:
    """A webhook receiver on loopback: records every POST and answers ``statuses`` in turn
    (then 204)."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def events(self) -> list[tuple[str, str]]:
        return [(r["event"], r["body"]["ticket"]["number"]) for r in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with state.lock:
                status = state.statuses.pop(0) if state.statuses else 204
                state.received.append({
                    "event": self.headers["Plaint-Event"],
                    "delivery": self.headers["Plaint-Delivery"],
                    "signed": verify(SECRET.encode(), header=self.headers[SIGNATURE_HEADER],
                                     body=body, now=datetime.now(UTC).timestamp()),
                    "body": json.loads(body), "status": status,
                })  # fmt: skip
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/plaint"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


@dataclass
class Hooked:
    sessions: sessionmaker[Session]
    config: Config
    now: datetime = NOW

    def dispatch(self, environ: dict[str, str] | None = None) -> DispatchResult:
        """Run the dispatcher with the webhook sender only (the residents' acknowledgements
        wait for theirs: not counted)."""
        sender = WebhookSender(environ if environ is not None else {SECRET_ENV: SECRET})
        policy = RetryPolicy(max_attempts=3)
        done = dispatch_due(self.sessions, senders={"webhook": sender}, zone=SH,
                            clock=lambda: self.now, policy=policy, jitter=lambda: 0.0)  # fmt: skip
        return DispatchResult(sent=done.sent, retrying=done.retrying, failed=done.failed)

    def new_ticket(self, text: str = "门口垃圾两天没人清运") -> Ticket:
        with self.sessions.begin() as session:
            taken = take_complaint(session, DeskComplaint(text=text, phone="13800138000"),
                                   actor=find_staff(session, "desk.wu"), config=self.config,
                                   now=self.now)  # fmt: skip
        with self.sessions.begin() as session:
            triage_inbox(session, taken.inbox_id, config=self.config, now=self.now)
        with self.sessions() as session:
            return session.scalars(select(Ticket).order_by(Ticket.id.desc())).first()  # type: ignore[return-value]

    def act(self, number: str, action: Action) -> None:
        with self.sessions.begin() as session:
            ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
            act(session, ticket, action, actor="desk.wu", at=self.now, config=self.config)

    def rows(self) -> list[Notification]:
        with self.sessions() as session:
            query = select(Notification).where(Notification.channel == "webhook")
            return list(session.scalars(query.order_by(Notification.id)))


def hook_toml(url: str, events: str = "") -> str:
    return f"""
[[staff]]
code = "desk.wu"
name = "吴客服"
role = "desk"
[[webhooks]]
name = "crm"
url = "{url}"
secret_env = "{SECRET_ENV}"
{events}
"""


@pytest.fixture
def hooked(
    sessions: sessionmaker[Session], make_config: Callable[..., Config], receiver: Receiver
) -> Hooked:
    config = make_config(hook_toml(receiver.url))
    with sessions.begin() as session:
        sync_departments(session, config.departments)
        sync_staff(session, config.staff, now=NOW)
    return Hooked(sessions, config)


def test_each_event_is_posted_once_and_signed(hooked: Hooked, receiver: Receiver) -> None:
    number = hooked.new_ticket().number
    hooked.act(number, Action.RESPOND)
    hooked.act(number, Action.CLOSE)
    assert hooked.dispatch() == DispatchResult(sent=3)
    assert hooked.dispatch() == DispatchResult()  # nothing twice
    assert receiver.events() == [("ticket.created", number), ("ticket.updated", number),
                                 ("ticket.closed", number)]  # fmt: skip
    assert all(r["signed"] for r in receiver.received)
    created = receiver.received[0]["body"]
    assert created["ticket"]["channel"] == "desk"
    assert created["ticket"]["department"] == "cleaning"
    assert "13800138000" not in json.dumps(receiver.received, ensure_ascii=False)
    assert len({r["delivery"] for r in receiver.received}) == 3
    assert [r.status for r in hooked.rows()] == ["sent"] * 3


def test_a_breach_is_posted_once_whatever_the_sweeps(hooked: Hooked, receiver: Receiver) -> None:
    number = hooked.new_ticket().number
    for hours in (25, 26, 30):  # the first response (24 h) breached; swept three times
        sweep(hooked.sessions, config=hooked.config, now=NOW + timedelta(hours=hours))
    hooked.now = NOW + timedelta(hours=30)
    hooked.dispatch()
    assert ("ticket.breached", number) in receiver.events()
    assert receiver.events().count(("ticket.breached", number)) == 1


def test_5xx_is_retried_with_backoff_and_4xx_fails_for_good(
    hooked: Hooked, receiver: Receiver
) -> None:
    receiver.statuses = [503]
    hooked.new_ticket()
    assert hooked.dispatch() == DispatchResult(retrying=1)
    [row] = hooked.rows()
    assert (row.status, row.last_error) == ("pending", "webhook http 503")
    assert row.not_before > hooked.now  # backoff
    hooked.now = row.not_before
    assert hooked.dispatch() == DispatchResult(sent=1)
    first, second = receiver.received
    assert first["delivery"] == second["delivery"]  # one delivery id across retries
    receiver.statuses = [410]
    hooked.new_ticket("楼道灯坏了一周没人修")
    assert hooked.dispatch() == DispatchResult(failed=1)
    assert hooked.rows()[-1].last_error == "webhook http 410 (code 410)"


def test_a_missing_secret_fails_visibly_without_posting(hooked: Hooked, receiver: Receiver) -> None:
    hooked.new_ticket()
    assert hooked.dispatch(environ={}) == DispatchResult(failed=1)
    assert hooked.rows()[0].last_error == "webhook secret not set (code secret_missing)"
    assert receiver.received == []


def test_concurrent_dispatchers_post_each_event_once(hooked: Hooked, receiver: Receiver) -> None:
    numbers = [hooked.new_ticket(f"{n}号楼门口垃圾没人清运").number for n in range(1, 6)]
    threads = [threading.Thread(target=hooked.dispatch) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    created = sorted(n for e, n in receiver.events() if e == "ticket.created")
    assert created == sorted(set(created))
    assert set(created) <= set(numbers)
    assert [r.status for r in hooked.rows()].count("sent") == len(created)
