"""The SLA engine end to end on real Redis, PostgreSQL/SQLite and Dovecot, with the
runtime's clock injected: warnings and breaches fire once, at the right minute, climb the
escalation ladder, and never repeat after a worker restart."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from plaint.models import Notification, SlaMark, Ticket
from plaint.service.staff import Action, act
from tests.plant import Plant
from tests.workers.test_flow import complaint

# The SLA's notifications (the residents' acknowledgements are the outbox tests' concern).
TO_STAFF = Notification.recipient_kind == "staff"

STAFF = """
[[staff]]
code = "wang.gong"
name = "王工"
role = "member"
department = "engineering"

[[staff]]
code = "zhang.head"
name = "张经理"
role = "department_head"
department = "engineering"
phone = "+8613800000001"

[[staff]]
code = "li.pm"
name = "李总"
role = "property_manager"

[[staff]]
code = "zhao.rm"
name = "赵总"
role = "regional_manager"
"""


@pytest.fixture
def sla_plant(make_plant: Callable[[str], Plant]) -> Plant:
    return make_plant(STAFF)


def first_ticket(plant: Plant) -> Ticket:
    [ticket] = plant.tickets()
    return ticket


def sweep_at(plant: Plant, when: datetime) -> None:
    plant.clock.set(when)
    plant.actors.sla_sweep.send()
    plant.drain()


def marks(plant: Plant, clock: str = "first_response") -> list[str]:
    with plant.sessions() as session:
        rows = session.scalars(
            select(SlaMark).where(SlaMark.clock == clock).order_by(SlaMark.due_at, SlaMark.id)
        )
        return [m.mark for m in rows]


def notifications(plant: Plant) -> list[tuple[str, str]]:
    with plant.sessions() as session:
        rows = session.scalars(select(Notification).where(TO_STAFF).order_by(Notification.id))
        return [(n.recipient, n.data["mark"]) for n in rows if n.data["clock"] == "first_response"]


def test_warnings_breach_and_escalation_fire_once_at_the_right_minute(sla_plant: Plant) -> None:
    plant = sla_plant
    plant.mailbox.append(complaint(1, "3号楼楼道灯坏了一个星期"))
    plant.poll()
    ticket = first_ticket(plant)
    received = ticket.received_at
    assert (ticket.sla_policy, ticket.department.code) == ("default", "engineering")

    sweep_at(plant, received + timedelta(hours=12) - timedelta(minutes=1))
    assert marks(plant) == []
    sweep_at(plant, received + timedelta(hours=12))
    assert marks(plant) == ["warn:50"]
    sweep_at(plant, received + timedelta(hours=12, minutes=5))
    assert marks(plant) == ["warn:50"]

    plant.stop_worker()  # a worker restart repeats nothing
    plant.start_worker()
    sweep_at(plant, received + timedelta(hours=12, minutes=6))
    assert marks(plant) == ["warn:50"]

    eighty = received + timedelta(hours=19, minutes=12)
    sweep_at(plant, eighty - timedelta(minutes=1))
    assert marks(plant) == ["warn:50"]
    sweep_at(plant, eighty)
    assert marks(plant) == ["warn:50", "warn:80"]
    sweep_at(plant, received + timedelta(hours=24) - timedelta(minutes=1))
    assert marks(plant) == ["warn:50", "warn:80"]
    sweep_at(plant, received + timedelta(hours=24))
    assert marks(plant) == ["warn:50", "warn:80", "breach", "escalate:1"]
    sweep_at(plant, received + timedelta(hours=26) - timedelta(minutes=1))
    assert marks(plant)[-1] == "escalate:1"
    sweep_at(plant, received + timedelta(hours=26))
    assert marks(plant)[-1] == "escalate:2"

    with plant.sessions.begin() as session:
        row = session.get(Ticket, ticket.id)
        assert row is not None
        act(session, row, Action.ACKNOWLEDGE, actor="li.pm",
            at=received + timedelta(hours=27), config=plant.rt.config)  # fmt: skip
    sweep_at(plant, received + timedelta(hours=30))
    assert marks(plant) == ["warn:50", "warn:80", "breach", "escalate:1", "escalate:2"]
    assert notifications(plant) == [
        ("wang.gong", "warn:50"),  # the member on duty it was assigned to
        ("wang.gong", "warn:80"),
        ("wang.gong", "breach"),
        ("zhang.head", "escalate:1"),  # then up the ladder
        ("li.pm", "escalate:2"),
    ]


def test_a_late_sweep_records_every_mark_but_sends_no_stale_warnings(sla_plant: Plant) -> None:
    plant = sla_plant
    plant.mailbox.append(complaint(1, "3号楼楼道灯坏了一个星期"))
    plant.poll()
    received = first_ticket(plant).received_at
    sweep_at(plant, received + timedelta(hours=30))  # the sweep was down for a day
    assert marks(plant) == ["warn:50", "warn:80", "breach", "escalate:1", "escalate:2",
                            "escalate:3"]  # fmt: skip
    assert notifications(plant) == [
        ("wang.gong", "breach"),
        ("zhang.head", "escalate:1"),
        ("li.pm", "escalate:2"),
        ("zhao.rm", "escalate:3"),
    ]


def test_a_first_response_in_time_stops_that_clock(sla_plant: Plant) -> None:
    plant = sla_plant
    plant.mailbox.append(complaint(1, "3号楼楼道灯坏了一个星期"))
    plant.poll()
    ticket = first_ticket(plant)
    with plant.sessions.begin() as session:
        row = session.get(Ticket, ticket.id)
        assert row is not None
        act(session, row, Action.ASSIGN, actor="desk", at=ticket.received_at,
            config=plant.rt.config, target="wang.gong")  # fmt: skip
        act(session, row, Action.RESPOND, actor="wang.gong",
            at=ticket.received_at + timedelta(hours=1), config=plant.rt.config)  # fmt: skip
    sweep_at(plant, ticket.received_at + timedelta(days=2))
    assert marks(plant, "first_response") == []
    assert marks(plant, "closure")[:1] == ["warn:50"]
    with plant.sessions() as session:
        recipients = {n.recipient for n in session.scalars(select(Notification).where(TO_STAFF))}
    assert recipients == {"wang.gong"}  # warnings go to the assignee


def test_staff_notifications_wait_for_working_hours_unless_urgent(sla_plant: Plant) -> None:
    plant = sla_plant
    plant.mailbox.append(complaint(1, "3号楼楼道灯坏了"))
    plant.mailbox.append(complaint(2, "5号楼电梯困人了！"))
    plant.poll()
    tickets = {t.urgency: t for t in plant.tickets()}
    late = max(t.received_at for t in tickets.values()) + timedelta(days=3)
    sweep_at(plant, late)
    with plant.sessions() as session:
        rows = list(session.scalars(select(Notification).where(TO_STAFF)))
    urgent = [n for n in rows if n.ticket_id == tickets["emergency"].id]
    normal = [n for n in rows if n.ticket_id == tickets["normal"].id]
    assert urgent
    assert all(n.urgent and n.not_before == late for n in urgent)
    calendar = plant.rt.config.staff_calendar
    for n in normal:
        local = n.not_before.astimezone(calendar.zone)
        assert calendar.is_working_day(local.date())
        assert 9 <= local.hour < 18
        assert n.not_before >= late
