"""Fixtures: real Redis, PostgreSQL and Dovecot servers, databases on both dialects, and
a dramatiq worker running plaint's actors against them."""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient

from plaint.config import Config, load_config
from plaint.models import create_db_engine, session_factory
from plaint.models.migrate import upgrade
from tests.servers import (
    DovecotServer,
    PostgresServer,
    RabbitMQServer,
    RedisServer,
    running_dovecot,
    running_postgres,
    running_rabbitmq,
)

_counter = itertools.count()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The test Redis, emptied before each test."""
    import redis

    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    client.close()
    return redis_server.url


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    with running_postgres() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated database: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'plaint.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        url = server.create_database(f"t{os.getpid()}_{next(_counter)}")
    engine = create_db_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def sessions(db_url: str) -> Iterator[Any]:
    engine = create_db_engine(db_url)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    with running_dovecot() as server:
        yield server


@dataclass
class Mailbox:
    """A fresh IMAP folder of the test account on the test Dovecot."""

    host: str
    port: int
    username: str
    password: str
    folder: str

    def client(self) -> IMAPClient:
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        client.login(self.username, self.password)
        return client

    def append(self, raw: bytes, folder: str | None = None) -> None:
        client = self.client()
        try:
            client.append(folder or self.folder, raw)
        finally:
            client.logout()


IMAP_USER, IMAP_PASSWORD = "resident-mail", "s3cret-test-password"


def new_mailbox(dovecot: DovecotServer) -> Mailbox:
    """A fresh folder of the test account (added to ``dovecot`` if it is not there)."""
    dovecot.add_user(IMAP_USER, IMAP_PASSWORD)
    box = Mailbox("127.0.0.1", dovecot.port, IMAP_USER, IMAP_PASSWORD, f"T{uuid.uuid4().hex}")
    client = box.client()
    client.create_folder(box.folder)
    client.logout()
    return box


@pytest.fixture
def mailbox(dovecot: DovecotServer) -> Mailbox:
    return new_mailbox(dovecot)


@pytest.fixture
def make_config(tmp_path: Path) -> Callable[..., Config]:
    """Build a validated Config from TOML text (over the packaged defaults). Quiet hours
    are off unless the text has a ``[messages]`` table: tests run at any hour of the wall
    clock, and a plant's clock starts at the real time."""

    def build(text: str = "") -> Config:
        if "[messages" not in text:
            text += '\n[messages]\nquiet_hours = "off"\n'
        path = tmp_path / f"config{next(_counter)}.toml"
        path.write_text(text, "utf-8")
        return load_config(path)

    return build


def source_toml(mailbox: Mailbox, *, name: str = "mail") -> str:
    return f"""
[[sources]]
name = "{name}"
kind = "imap"
host = "{mailbox.host}"
port = {mailbox.port}
tls = false
username = "{mailbox.username}"
password_env = "TEST_IMAP_PASSWORD"
folder = "{mailbox.folder}"
poll_interval_seconds = 1
"""


# The end-to-end plant (a dramatiq worker running plaint's actors) for every test folder.
from tests.plant import actors, make_plant, plant  # noqa: E402, F401

# The Twilio REST stand-in (a subprocess on loopback), for every test folder.
from tests.twilio_fixture import standin, standin_server  # noqa: E402, F401


@pytest.fixture(scope="session")
def rabbitmq_server() -> Iterator[RabbitMQServer]:
    with running_rabbitmq() as server:
        yield server


@pytest.fixture
def rabbitmq_url(rabbitmq_server: RabbitMQServer) -> str:
    """The URL of the session's throwaway RabbitMQ node (skips locally, fails in CI when
    rabbitmq-server is not installed). Tests use their own queue names."""
    return rabbitmq_server.url


# A real SMTP server on loopback (aiosmtpd), plain or with STARTTLS and AUTH.
from tests.smtp import secure_smtp_server, smtp_server  # noqa: E402, F401


@pytest.fixture(autouse=True)
def _root_logging() -> Iterator[None]:
    """Give every test the root and dramatiq loggers as it found them: a command run
    in-process (``plaint run``, ``plaint worker``) configures logging for its process, and a
    later test in the same process must not inherit that handler or level."""
    import logging

    root, dramatiq_logger = logging.getLogger(), logging.getLogger("dramatiq")
    handlers, level, dramatiq_level = list(root.handlers), root.level, dramatiq_logger.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)
    dramatiq_logger.setLevel(dramatiq_level)
