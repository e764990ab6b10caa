"""Helpers of the resident-loop tests: a configuration with quiet hours and a department
head, an SMS from a resident triaged as the worker would, the outbox dispatched through
the Twilio stand-in at a given time."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from itertools import count

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plaint.channels.outbound import Sender
from plaint.channels.twilio import items
from plaint.config import Config
from plaint.models import Notification, Ticket
from plaint.service.directory import sync_directory
from plaint.service.outbox import DispatchResult, dispatch_due
from plaint.service.staff import Action, act, lock_ticket
from plaint.service.store import store_delivery
from plaint.service.triage import TriageOutcome, triage_inbox

RESIDENT_TOML = """
[messages]
quiet_hours = "21:00-08:00"
survey_delay_hours = 24

[[staff]]
code = "zhang.head"
name = "张经理"
role = "department_head"
department = "engineering"
phone = "+8613900000001"
"""
PHONE = "+8613800138000"
_sids = count(1)


def resident_config(make_config: Callable[..., Config], extra: str = "") -> Config:
    """The test configuration: quiet hours 21:00-08:00, an engineering head."""
    return make_config(RESIDENT_TOML + extra)


def sync_staff(sessions: sessionmaker[Session], config: Config, *, now: datetime) -> None:
    with sessions.begin() as session:
        sync_directory(session, config, now=now)


def text_in(
    sessions: sessionmaker[Session], config: Config, body: str, *, now: datetime,
    sender: str = PHONE,
) -> TriageOutcome:  # fmt: skip
    """Store an SMS from ``sender`` as the webhook would and triage it at ``now``."""
    fields = {"MessageSid": f"SM{next(_sids):032d}", "From": sender, "To": "+8610690000",
              "Body": body}  # fmt: skip
    with sessions.begin() as session:
        item = store_delivery(session, items.sms(fields, received_at=now), now=now)
    with sessions.begin() as session:
        return triage_inbox(session, item.inbox_id, config=config, now=now)


def dispatch(
    sessions: sessionmaker[Session], config: Config, senders: Mapping[str, Sender], *,
    at: datetime,
) -> DispatchResult:  # fmt: skip
    return dispatch_due(sessions, senders=senders, zone=config.timezone, clock=lambda: at,
                        messages=config.messages, jitter=lambda: 0.0)  # fmt: skip


def notifications(sessions: sessionmaker[Session]) -> list[Notification]:
    with sessions() as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))


def only_ticket(sessions: sessionmaker[Session]) -> Ticket:
    with sessions() as session:
        [ticket] = session.scalars(select(Ticket)).all()
        _ = ticket.events, ticket.department
        return ticket


def act_by_number(
    session: Session, *, number: str, action: Action, actor: str, at: datetime, config: Config
) -> None:
    """``actor`` does ``action`` on ticket ``number`` through the service layer's clock
    rules (no permission check: these tests are about what the resident is told)."""
    act(session, lock_ticket(session, number), action, actor=actor, at=at, config=config)
