"""End to end with a real dramatiq worker, Redis, Dovecot and an SMTP server: a resident's
mail becomes a ticket and the resident receives exactly one acknowledgement, sent by the
``dispatch_outbox`` actor that triage kicks; ``plaint run``'s worker consumes its queue."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from plaint.channels.email.smtp import SmtpSender
from plaint.models import Notification
from plaint.queue.producer import ACTOR_QUEUES, DISPATCH_OUTBOX
from plaint.workers import runtime
from plaint.workers.stack import WORK_QUEUES
from tests.plant import Plant
from tests.smtp import SmtpServer
from tests.workers.test_flow import complaint


@pytest.fixture
def mailing_plant(plant: Plant, smtp_server: SmtpServer) -> Iterator[Plant]:
    sender = SmtpSender.from_environ(smtp_server.environ())
    assert sender is not None
    plant.rt = dataclasses.replace(plant.rt, senders={"email": sender})
    runtime.install(plant.rt)
    yield plant
    sender.close()


def test_a_new_ticket_is_acknowledged_once_by_the_worker(
    mailing_plant: Plant, smtp_server: SmtpServer
) -> None:
    plant = mailing_plant
    plant.mailbox.append(complaint(1))
    plant.mailbox.append(complaint(2, "还没修好", In_Reply_To="<c1@example.com>")
                         .replace(b"resident2@", b"resident1@"))  # fmt: skip
    plant.poll()
    [ticket] = plant.tickets()
    [received] = smtp_server.sink.messages
    assert received.rcpt_tos == ("resident1@example.com",)
    assert ticket.number in received.mail["Subject"]
    assert plant.count(Notification) == 1
    plant.actors.dispatch_outbox.send()  # the clock's next run sends nothing more
    plant.drain()
    assert len(smtp_server.sink.messages) == 1


def test_plaint_run_consumes_the_outbox_queue() -> None:
    assert ACTOR_QUEUES[DISPATCH_OUTBOX] == "outbox"
    assert "outbox" in WORK_QUEUES
