"""RabbitMQ as the broker (``PLAINT_BROKER_URL=amqp://...``): the end-to-end flow of
tests/workers/test_flow.py with the actors on a real RabbitMQ node (Redis still holds the
locks), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from plaint.config import load_settings, require_broker_url
from plaint.models import Inbox
from plaint.queue.broker import build_broker, is_rabbitmq
from plaint.queue.depth import queue_depths
from plaint.workers.actors import Actors, declare_actors
from tests.plant import Plant
from tests.workers.test_flow import complaint


@pytest.fixture
def actors(rabbitmq_url: str) -> Iterator[Actors]:
    """plaint's actors on the test RabbitMQ (instead of tests/plant.py's Redis). The
    fixture's URL is kombu's (``//``: the vhost ``/``); pika spells that vhost ``%2F``."""
    declared = declare_actors(build_broker(rabbitmq_url.removesuffix("//") + "/%2F"))
    yield declared
    declared.broker.close()  # every thread's connection (pika's sockets are not collected)


def test_the_broker_url_selects_rabbitmq_and_redis_stays_for_locks() -> None:
    settings = load_settings({"PLAINT_REDIS_URL": "redis://r:6379/0",
                              "PLAINT_BROKER_URL": "amqp://guest:guest@mq:5672/%2F"})  # fmt: skip
    assert is_rabbitmq(require_broker_url(settings))
    assert settings.redis_url == "redis://r:6379/0"
    assert require_broker_url(load_settings({"PLAINT_REDIS_URL": "redis://r"})) == "redis://r"


@pytest.mark.slow
def test_an_email_becomes_one_ticket_with_the_workers_on_rabbitmq(plant: Plant) -> None:
    assert type(plant.actors.broker).__name__ == "RabbitmqBroker"
    plant.mailbox.append(complaint(1))
    plant.poll()
    [ticket] = plant.tickets()
    assert ticket.department.code == "engineering"
    assert [e.kind for e in ticket.events] == ["received", "classified", "routed", "sla_started"]
    plant.poll()
    assert plant.count(Inbox) == 1
    assert len(plant.tickets()) == 1
    assert queue_depths(plant.actors.broker) == dict.fromkeys(queue_depths(plant.actors.broker), 0)
