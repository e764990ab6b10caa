"""End to end on real servers: an email on Dovecot becomes exactly one routed ticket with
its deadlines, through the real poll and triage actors on Redis, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from plaint.channels.email.imap import ImapChannel
from plaint.models import ChannelCursor, Inbox, InboxStatus, Message, Resident
from plaint.pipeline.calendar import Budget, due
from plaint.service.intake import poll_once
from plaint.service.store import DbCursorStore
from plaint.service.triage import triage_inbox
from tests.conftest import source_toml
from tests.plant import Plant

REPO = Path(__file__).resolve().parents[2]


def complaint(n: int, text: str = "3号楼电梯困人了，快来人！", **headers: str) -> bytes:
    extra = "".join(f"{k.replace('_', '-')}: {v}\r\n" for k, v in headers.items())
    return (
        f"From: 王女士 <resident{n}@example.com>\r\nSubject: {text[:6]}\r\n"
        f"Message-ID: <c{n}@example.com>\r\n{extra}"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    ).encode() + text.encode()


def test_an_email_becomes_one_routed_ticket_with_deadlines(plant: Plant) -> None:
    plant.mailbox.append(complaint(1))
    plant.poll()
    [ticket] = plant.tickets()
    assert (ticket.category, ticket.sub_topic, ticket.department.code) == (
        "facility",
        "lift",
        "engineering",
    )
    assert ticket.urgency == "emergency"
    assert ticket.number.startswith(f"TS-{ticket.received_at.astimezone().year}-")
    assert ticket.sla_policy == "emergency"
    assert ticket.first_response_due == ticket.received_at + timedelta(minutes=30)
    assert ticket.closure_due == ticket.received_at + timedelta(hours=24)
    assert [e.kind for e in ticket.events] == ["received", "classified", "routed", "sla_started"]
    assert ticket.messages[0].body.startswith("3号楼电梯困人")
    assert ticket.messages[0].sender == "resident1@example.com"

    plant.poll()
    plant.poll()
    assert plant.count(Inbox) == 1
    assert len(plant.tickets()) == 1


def test_an_ordinary_complaint_gets_24_hours_and_3_working_days(plant: Plant) -> None:
    plant.mailbox.append(complaint(1, "门口垃圾两天没人清运"))
    plant.poll()
    [ticket] = plant.tickets()
    calendar = plant.rt.config.calendar
    assert ticket.sla_policy == "default"
    assert ticket.first_response_due == ticket.received_at + timedelta(hours=24)
    assert ticket.closure_due == due(
        start=ticket.received_at, budget=Budget.working_days(3), calendar=calendar
    )
    assert ticket.next_sla_at == ticket.received_at + timedelta(hours=12)  # the 50 % warning


def test_each_new_mail_is_one_more_ticket_with_its_own_number(plant: Plant) -> None:
    for n in range(3):
        plant.mailbox.append(complaint(n, f"{n}号楼门口垃圾没人清运"))
    plant.poll()
    plant.mailbox.append(complaint(9, "物业费收费不透明"))
    plant.poll()
    tickets = plant.tickets()
    assert [t.sub_topic for t in tickets].count("garbage") == 3
    assert tickets[-1].department.code == "finance"
    assert len({t.number for t in tickets}) == 4


def _crash_poll(plant: Plant, tmp_path: Path, moment: str) -> None:
    """Poll source ``mail`` in a process killed by SIGKILL at ``moment`` (crash_poller)."""
    plant.mailbox.append(complaint(1))
    plant.mailbox.append(complaint(2, "楼上漏水，天花板在滴水"))
    config = tmp_path / "crash.toml"
    config.write_text(source_toml(plant.mailbox), "utf-8")
    env = {**os.environ, **plant.rt.environ, "PLAINT_CONFIG": str(config)}
    crashed = subprocess.run(
        [sys.executable, "-m", "tests.workers.crash_poller", "mail", moment],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert crashed.returncode == -9, crashed.stderr
    assert "pulled 2" in crashed.stdout


@pytest.mark.parametrize(("moment", "durable"), [("commit", 0), ("ack", 2)])
def test_a_crash_in_the_middle_of_a_poll_duplicates_nothing_and_loses_nothing(
    plant: Plant, tmp_path: Path, moment: str, durable: int
) -> None:
    """Killed before the commit: neither the rows nor the cursor are there, and the next
    poll reads both mails again. Killed after it, before the ack: both are (the cursor
    moves in the transaction of the rows), and the next poll reads nothing twice."""
    _crash_poll(plant, tmp_path, moment)
    assert plant.count(Inbox) == durable
    assert plant.count(ChannelCursor) == min(durable, 1)  # never ahead of the rows
    plant.poll()  # the restarted poller
    assert plant.count(Inbox) == 2
    assert len(plant.tickets()) == 2
    assert plant.count(Message) == 2
    assert plant.count(ChannelCursor) == 1


def test_a_recreated_mailbox_duplicates_nothing_and_misses_nothing(plant: Plant) -> None:
    plant.mailbox.append(complaint(1))
    plant.poll()
    client = plant.mailbox.client()
    client.delete_folder(plant.mailbox.folder)
    client.create_folder(plant.mailbox.folder)
    client.logout()
    plant.mailbox.append(complaint(1))  # renumbered under a new UIDVALIDITY
    plant.mailbox.append(complaint(2, "地下车库消防通道被占用"))
    plant.poll()
    tickets = plant.tickets()
    assert [t.sub_topic for t in tickets] == ["lift", "parking"]
    assert plant.count(Inbox) == 2


def test_a_reply_joins_its_ticket_instead_of_opening_one(plant: Plant) -> None:
    plant.mailbox.append(complaint(1))
    plant.poll()
    plant.mailbox.append(
        complaint(2, "补充：还有人在里面", In_Reply_To="<c1@example.com>").replace(
            b"resident2@", b"resident1@"
        )
    )
    plant.poll()
    [ticket] = plant.tickets()
    assert len(ticket.messages) == 2
    assert ticket.events[-1].kind == "message_received"


def test_a_reply_from_someone_else_opens_its_own_ticket(plant: Plant) -> None:
    plant.mailbox.append(complaint(1))
    plant.poll()
    plant.mailbox.append(complaint(2, "我也被困过", In_Reply_To="<c1@example.com>"))
    plant.poll()
    assert len(plant.tickets()) == 2


def test_malformed_and_auto_replies_are_quarantined_and_do_not_block(plant: Plant) -> None:
    plant.mailbox.append(b"Subject: no sender here\r\n\r\nhello")
    plant.mailbox.append(complaint(3, "I am out of office", Auto_Submitted="auto-replied"))
    plant.mailbox.append(complaint(4, "小区停电了"))
    plant.poll()
    inbox = plant.inbox()
    assert [(row.status, row.error) for row in inbox] == [
        (InboxStatus.QUARANTINED, "no_sender"),
        (InboxStatus.QUARANTINED, "automatic:auto_reply"),
        (InboxStatus.DONE, None),
    ]
    [ticket] = plant.tickets()
    assert ticket.sub_topic == "power"


def test_the_reconciler_triages_rows_whose_message_was_lost(plant: Plant) -> None:
    plant.mailbox.append(complaint(1))
    channel = ImapChannel.from_config(
        plant.rt.config.source("mail"),
        cursors=DbCursorStore(plant.sessions, clock=plant.rt.clock),
        environ=plant.rt.environ,
    )
    lost: list[int] = []  # the triage message is sent nowhere: Redis lost it
    poll_once(channel, sessions=plant.sessions, enqueue=lost.append, clock=plant.rt.clock)
    channel.close()
    plant.drain()
    assert lost
    assert plant.tickets() == []
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    with plant.sessions.begin() as session:
        session.execute(update(Inbox).values(created_at=long_ago, enqueued_at=long_ago))
    plant.actors.reconcile_inbox.send()
    plant.drain()
    assert len(plant.tickets()) == 1


def test_a_dead_imap_server_is_logged_and_retried_on_the_next_tick(plant: Plant) -> None:
    plant.mailbox.append(complaint(1))
    client = plant.mailbox.client()
    client.delete_folder(plant.mailbox.folder)  # the source now fails on SELECT
    client.logout()
    plant.actors.poll_source.fn("mail")  # does not raise: logged, left to the clock
    assert plant.count(Inbox) == 0


def test_a_poll_already_running_elsewhere_is_skipped(plant: Plant) -> None:
    plant.mailbox.append(complaint(1))
    lock = plant.rt.redis.lock("plaint:lock:poll:mail", timeout=30)
    assert lock.acquire(blocking=False)
    plant.actors.poll_source.fn("mail")
    assert plant.count(Inbox) == 0
    lock.release()
    plant.actors.poll_source.fn("mail")
    assert plant.count(Inbox) == 1


def test_a_reply_pulled_with_its_original_joins_it_whatever_the_triage_order(
    plant: Plant,
) -> None:
    plant.mailbox.append(complaint(1))
    reply = complaint(2, "补充：还有人在里面", In_Reply_To="<c1@example.com>")
    plant.mailbox.append(reply.replace(b"resident2@", b"resident1@"))
    plant.actors.poll_source.fn("mail")  # both rows written, both triages enqueued
    reply_id = plant.inbox()[1].id
    with plant.sessions.begin() as session:  # the reply's triage happens to run first
        triage_inbox(session, reply_id, config=plant.rt.config, now=datetime.now(UTC))
    plant.drain()
    [ticket] = plant.tickets()
    assert [m.body[:2] for m in ticket.messages] == ["3号", "补充"]


ROUTING = """
[routing]
fallback_department = "customer_service"
review_threshold = 0.3
assignment = "{mode}"

[[routing.rules]]
name = "noise-to-desk"
match = {{ sub_topic = "noise" }}
department = "customer_service"

[[staff]]
code = "a.member"
role = "member"
department = "engineering"

[[staff]]
code = "b.member"
role = "member"
department = "engineering"

[[staff]]
code = "c.off"
role = "member"
department = "engineering"
on_duty = false
"""


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("least_open", ["a.member", "b.member", "a.member"]),
     ("round_robin", ["a.member", "b.member", "a.member"]),
     ("none", [None, None, None])],
)  # fmt: skip
def test_routing_rules_and_assignment_among_staff_on_duty(
    make_plant: Callable[[str], Plant], mode: str, expected: list[str | None]
) -> None:
    plant = make_plant(ROUTING.format(mode=mode))
    for n, text in enumerate(["3号楼电梯坏了", "5号楼楼道灯坏了", "小区大门门禁坏了"]):
        plant.mailbox.append(complaint(n, text))
        plant.poll()  # one at a time: each assignment sees the ones before
    plant.mailbox.append(complaint(9, "晚上广场舞噪音太大"))
    plant.mailbox.append(complaint(10, "请问你们几点下班"))  # no rule fires: the desk reviews
    plant.poll()
    tickets = plant.tickets()
    assert [t.assignee for t in tickets[:3]] == expected
    by_topic = {t.sub_topic: t for t in tickets[3:]}
    assert by_topic["noise"].department.code == "customer_service"  # not security
    assert by_topic["noise"].events[2].data["reason"] == "rule:noise-to-desk"
    assert by_topic["other"].events[2].data["reason"] == "low_confidence_review"


def test_an_unknown_senders_place_comes_from_the_text(plant: Plant) -> None:
    plant.mailbox.append(complaint(1, "我是3号楼2单元1201的业主，楼上漏水"))
    plant.poll()
    with plant.sessions() as session:
        [resident] = session.scalars(select(Resident)).all()
        assert (resident.building, resident.unit) == ("3", "2-1201")


def test_the_reconciler_resends_at_once_when_redis_lost_its_data(plant: Plant) -> None:
    plant.actors.reconcile_inbox.send()  # a first run: Redis has its data from now on
    plant.drain()
    plant.mailbox.append(complaint(1))
    channel = ImapChannel.from_config(
        plant.rt.config.source("mail"),
        cursors=DbCursorStore(plant.sessions, clock=plant.rt.clock),
        environ=plant.rt.environ,
    )
    lost: list[int] = []  # sent just now, then lost with Redis's data
    poll_once(channel, sessions=plant.sessions, enqueue=lost.append, clock=plant.rt.clock)
    channel.close()
    plant.actors.reconcile_inbox.send()
    plant.drain()
    assert plant.tickets() == []  # within its lease: presumed on its way
    plant.rt.redis.flushall()
    plant.clock.set(plant.clock.now + timedelta(seconds=1))
    plant.actors.reconcile_inbox.send()
    plant.drain()
    assert len(plant.tickets()) == 1
