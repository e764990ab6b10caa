"""Each dedupe layer across channels, end to end through the triage actor."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from plaint.channels.base import Delivery
from plaint.inbound import ChannelKind
from plaint.models import Incident, Notification, Ticket
from plaint.service.residents import import_residents
from plaint.service.staff import Action, act
from tests.plant import Plant
from tests.workers.test_flow import complaint

PHONE = "+8613800138000"


def residents(plant: Plant, rows: list[dict[str, str]]) -> None:
    with plant.sessions.begin() as session:
        import_residents(session, rows, now=plant.clock())


def deliver(plant: Plant, channel: ChannelKind, external_id: str, data: dict[str, str],
            *, after: timedelta) -> None:  # fmt: skip
    """Put an SMS or call record into the inbox as its adapter would, and triage it."""
    from plaint.service.store import store_delivery

    received = plant.tickets()[0].received_at + after
    delivery = Delivery(f"test-{channel.value}", channel, external_id,
                        json.dumps(data).encode(), received, "")  # fmt: skip
    with plant.sessions.begin() as session:
        item = store_delivery(session, delivery, now=received)
    plant.actors.triage.send(item.inbox_id)
    plant.drain()


def test_email_sms_and_call_about_one_leak_are_one_ticket(plant: Plant) -> None:
    residents(plant, [{"name": "王女士", "email": "resident1@example.com", "phone": PHONE,
                       "community": "翠湖苑", "building": "5", "unit": "1101"}])  # fmt: skip
    plant.mailbox.append(complaint(1, "卫生间天花板一直滴水，楼上漏水"))
    plant.poll()
    deliver(plant, ChannelKind.SMS, "SM1", {"From": "138 0013 8000", "Body": "还在漏水，快来人",
            "MessageSid": "SM1"}, after=timedelta(hours=2))  # fmt: skip
    deliver(plant, ChannelKind.PHONE, "CA1", {"caller": PHONE, "call_id": "CA1",
            "notes": "业主来电催促漏水维修"}, after=timedelta(hours=5))  # fmt: skip
    [ticket] = plant.tickets()
    assert [m.channel for m in ticket.messages] == ["email", "sms", "phone"]
    reasons = [e.data.get("reason") for e in ticket.events if e.kind == "message_received"]
    assert reasons == ["continuation", "continuation"]


def test_an_sms_after_the_window_opens_a_new_ticket(plant: Plant) -> None:
    residents(plant, [{"name": "王女士", "email": "resident1@example.com", "phone": PHONE}])
    plant.mailbox.append(complaint(1, "卫生间天花板一直滴水，楼上漏水"))
    plant.poll()
    deliver(plant, ChannelKind.SMS, "SM2", {"From": PHONE, "Body": "小区门口垃圾没人清运"},
            after=timedelta(days=4))  # fmt: skip
    assert len(plant.tickets()) == 2


def test_the_same_complaint_again_is_linked_and_the_resident_told(plant: Plant) -> None:
    plant.mailbox.append(complaint(1, "3号楼2单元电梯又坏了，困在里面半小时"))
    plant.poll()
    again = complaint(2, "3号楼2单元的电梯又坏了，刚才困在里面半小时").replace(
        b"resident2@", b"resident1@"
    )
    plant.mailbox.append(again)
    plant.mailbox.append(complaint(3, "物业费收费不透明").replace(b"resident3@", b"resident1@"))
    plant.poll()
    tickets = plant.tickets()
    assert [len(t.messages) for t in tickets] == [2, 1]
    linked = [e for e in tickets[0].events if e.data.get("reason") == "near_duplicate"]
    assert linked
    assert linked[0].data["similarity"] >= 0.4
    with plant.sessions() as session:
        [told] = session.scalars(select(Notification).where(Notification.template != "ack")).all()
    assert (told.template, told.data["ticket"]) == ("already_tracked", tickets[0].number)


def test_the_same_unit_reporting_again_is_linked_across_residents(plant: Plant) -> None:
    residents(plant, [
        {"name": "王先生", "email": "resident1@example.com", "building": "3", "unit": "2-1201"},
        {"name": "王太太", "email": "resident2@example.com", "building": "3", "unit": "2-1201"},
    ])  # fmt: skip
    plant.mailbox.append(complaint(1, "我家卫生间天花板漏水很严重"))
    plant.poll()
    plant.mailbox.append(complaint(2, "我家卫生间的天花板漏水很严重了"))
    plant.poll()
    assert [len(t.messages) for t in plant.tickets()] == [2]


LIFT = [
    "3号楼电梯坏了，停在8楼不动",
    "3号楼的电梯又坏了，按了没反应",
    "3号楼电梯坏了，老人上不了楼",
    "电梯坏了！3号楼，停在一楼不动",
    "3号楼电梯坏了一上午了还没人修",
]


def test_five_residents_about_one_lift_are_one_incident(plant: Plant) -> None:
    residents(plant, [
        {"name": f"业主{n}", "email": f"resident{n}@example.com", "community": "翠湖苑",
         "building": "3"} for n in range(5)
    ])  # fmt: skip
    for n, text in enumerate(LIFT):
        plant.mailbox.append(complaint(n, text))
        plant.poll()
    tickets = plant.tickets()
    assert len(tickets) == 5
    assert len({t.incident_id for t in tickets}) == 1
    assert tickets[0].incident_id is not None
    assert {t.level for t in tickets} == {2}
    assert {t.department.code for t in tickets} == {"engineering"}

    with plant.sessions.begin() as session:
        first = session.get(Ticket, tickets[0].id)
        assert first is not None
        act(session, first, Action.RESOLVE, actor="wang.gong", at=plant.clock(),
            config=plant.rt.config)  # fmt: skip
    assert {t.status for t in plant.tickets()} == {"resolved"}
    with plant.sessions() as session:
        told = session.scalars(
            select(Notification).where(Notification.template == "incident_resolved")
        ).all()
        [incident] = session.scalars(select(Incident)).all()
    assert sorted(n.ticket_id for n in told) == sorted(t.id for t in tickets)
    assert incident.status == "resolved"


def test_two_residents_are_not_yet_an_incident(plant: Plant) -> None:
    residents(plant, [
        {"name": f"业主{n}", "email": f"resident{n}@example.com", "community": "翠湖苑",
         "building": "3"} for n in range(2)
    ])  # fmt: skip
    for n, text in enumerate(LIFT[:2]):
        plant.mailbox.append(complaint(n, text))
        plant.poll()
    assert {t.incident_id for t in plant.tickets()} == {None}
