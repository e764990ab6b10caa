"""Fixtures of the chaos suite: a :class:`~tests.chaos.harness.Rig` on PostgreSQL (the
processes write at once), a Redis of its own (scenarios restart and empty it), Dovecot,
the Twilio stand-in, an SMTP server and RabbitMQ."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chaos.harness import Rig, make_rig
from tests.conftest import Mailbox
from tests.servers import PostgresServer, RedisServer
from tests.smtp import SmtpServer
from tests.twilio_fixture import StandIn

_databases = iter(range(10**6))


@pytest.fixture
def chaos_redis(tmp_path: Path) -> Iterator[RedisServer]:
    directory = tmp_path / "redis"
    directory.mkdir()
    server = RedisServer(directory)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def rig(
    postgres_server: PostgresServer, chaos_redis: RedisServer, mailbox: Mailbox,
    standin: StandIn, smtp_server: SmtpServer, rabbitmq_url: str, tmp_path: Path,
) -> Rig:  # fmt: skip
    """Everything on the session's PostgreSQL, in a fresh database."""
    url = postgres_server.create_database(f"chaos{os.getpid()}_{next(_databases)}")
    return make_rig(url, chaos_redis, mailbox, standin, smtp_server, rabbitmq_url, tmp_path)
