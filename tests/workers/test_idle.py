"""The IDLE listener with the real worker and Dovecot: a new mail is a ticket within
seconds; a backlog that built up during an outage comes in, in order, with its arrival
times."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from plaint.models import Inbox
from plaint.workers.idle import run_idle
from tests.conftest import Mailbox, source_toml
from tests.plant import Plant
from tests.workers.test_flow import complaint


def test_idle_turns_a_new_mail_into_a_ticket_within_five_seconds(plant: Plant) -> None:
    stop = threading.Event()
    listener = threading.Thread(
        target=run_idle, args=(plant.rt.config.sources,),
        kwargs={"environ": plant.rt.environ, "stop": stop,
                "enqueue_poll": plant.actors.poll_source.send},
    )  # fmt: skip
    listener.start()
    try:
        plant.drain()  # the poll enqueued when the listener connected
        plant.mailbox.append(complaint(1))
        started = time.monotonic()
        while not plant.tickets() and time.monotonic() - started < 5:
            plant.drain()
            time.sleep(0.05)  # a probe interval, not a wait for the result
        assert plant.tickets(), "no ticket 5 s after the mail arrived"
        assert time.monotonic() - started < 5
    finally:
        stop.set()
        listener.join()


@pytest.mark.slow
def test_a_backlog_of_5000_mails_comes_in_order_with_its_arrival_times(plant: Plant) -> None:
    first = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
    client = plant.mailbox.client()
    try:
        for n in range(5000):
            raw = f"From: r{n % 50}@example.com\r\nSubject: s{n}\r\nMessage-ID: <b{n}@x>\r\n\r\nb"
            client.append(plant.mailbox.folder, raw.encode(), msg_time=first + timedelta(seconds=n))
    finally:
        client.logout()
    plant.actors.poll_source.send("mail")
    plant.actors.broker.join("intake", timeout=300_000)  # one poll drains it in batches
    with plant.sessions() as session:
        rows = session.execute(
            select(Inbox.external_id, Inbox.received_at).order_by(Inbox.id)
        ).all()
    assert [r.external_id for r in rows] == [f"<b{n}@x>" for n in range(5000)]
    assert [r.received_at for r in rows] == [first + timedelta(seconds=n) for n in range(5000)]


def test_several_sources_are_listened_to_at_once(
    make_plant: Callable[[str], Plant], mailbox: Mailbox
) -> None:
    other = dataclasses.replace(mailbox, folder=f"{mailbox.folder}-b")
    client = mailbox.client()
    client.create_folder(other.folder)
    client.logout()
    plant = make_plant(source_toml(other, name="mail-b"))
    stop = threading.Event()
    listener = threading.Thread(
        target=run_idle, args=(plant.rt.config.sources,),
        kwargs={"environ": plant.rt.environ, "stop": stop,
                "enqueue_poll": plant.actors.poll_source.send},
    )  # fmt: skip
    listener.start()
    try:
        plant.drain()
        mailbox.append(complaint(1))
        other.append(complaint(2, "小区停电了"))
        started = time.monotonic()
        while len(plant.tickets()) < 2 and time.monotonic() - started < 5:
            plant.drain()
            time.sleep(0.05)  # a probe interval, not a wait for the result
        assert sorted(t.channel for t in plant.tickets()) == ["email", "email"]
        assert {row.source for row in plant.inbox()} == {"mail", "mail-b"}
    finally:
        stop.set()
        listener.join()
