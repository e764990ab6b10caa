"""A dramatiq worker running plaint's real actors on the test Redis, against a test
database (SQLite and PostgreSQL) and a test IMAP folder on Dovecot."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
import redis
from dramatiq import Worker
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from plaint.channels import open_senders
from plaint.config import Config, load_settings
from plaint.models import Inbox, Ticket, create_db_engine, session_factory
from plaint.queue.broker import build_broker
from plaint.queue.producer import Producer
from plaint.service.directory import sync_directory
from plaint.workers import runtime
from plaint.workers.actors import Actors, declare_actors
from tests.servers import RedisServer

if TYPE_CHECKING:
    from tests.conftest import Mailbox


@pytest.fixture(scope="session")
def actors(redis_server: RedisServer) -> Actors:
    """plaint's actors, declared on a broker of the test Redis."""
    return declare_actors(build_broker(redis_server.url))


@dataclass
class Plant:
    """Everything an end-to-end test drives: the runtime, the actors and a worker."""

    rt: runtime.Runtime
    actors: Actors
    mailbox: Mailbox
    clock: ManualClock
    worker: Worker | None = None

    def start_worker(self) -> None:
        broker = self.actors.broker
        self.worker = Worker(broker, worker_threads=2, worker_timeout=50)
        self.worker.start()

    def stop_worker(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.worker = None

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self.rt.sessions

    def poll(self, source: str = "mail") -> None:
        """Enqueue a poll and wait until it and every triage it caused are done."""
        self.actors.poll_source.send(source)
        self.drain()

    def drain(self) -> None:
        broker = self.actors.broker
        for queue in ("intake", "triage", "maintenance", "triage", "outbox"):
            broker.join(queue, timeout=60_000)

    def count(self, model: Any) -> int:
        with self.sessions() as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)

    def tickets(self) -> list[Ticket]:
        with self.sessions() as session:
            rows = session.scalars(select(Ticket).order_by(Ticket.id)).unique().all()
            for ticket in rows:
                _ = ticket.messages, ticket.events, ticket.department
            return list(rows)

    def inbox(self) -> list[Inbox]:
        with self.sessions() as session:
            return list(session.scalars(select(Inbox).order_by(Inbox.id)))


class ManualClock:
    """The runtime's clock in tests: starts at the real time, moves only when told."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def set(self, value: datetime) -> None:
        self.now = value


# The installation secret of the plant (signs and recognises our Message-IDs).
SECRET_KEY = "plant-secret-not-for-production"


@pytest.fixture
def make_plant(
    actors: Actors,
    redis_url: str,
    db_url: str,
    mailbox: Mailbox,
    make_config: Callable[..., Config],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[str], Plant]]:
    """Build the plant with extra TOML after the mailbox source; one per test."""
    cleanup = contextlib.ExitStack()

    def build(extra_toml: str = "", *, environ: Mapping[str, str] | None = None) -> Plant:
        """``environ`` adds to the plant's environment (e.g. a source's URL variable, or
        ``PLAINT_TWILIO_*``: the outbox then texts through that Twilio)."""
        from tests.conftest import source_toml

        config = make_config(source_toml(mailbox) + extra_toml)
        environ = {
            "PLAINT_DATABASE_URL": db_url,
            "PLAINT_REDIS_URL": redis_url,
            "TEST_IMAP_PASSWORD": mailbox.password,
            "PLAINT_DATA_DIR": str(tmp_path_factory.mktemp("data")),
            "PLAINT_SECRET_KEY": SECRET_KEY,
            **(environ or {}),
        }
        engine = create_db_engine(db_url)
        cleanup.callback(engine.dispose)
        sessions = session_factory(engine)
        clock = ManualClock()
        with sessions.begin() as session:
            sync_directory(session, config, now=clock.now)
        client = redis.Redis.from_url(redis_url)
        cleanup.callback(client.close)
        senders = open_senders(environ)
        for sender in senders.values():  # an SMTP sender keeps its connection open
            if hasattr(sender, "close"):
                cleanup.callback(sender.close)
        rt = runtime.Runtime(
            settings=load_settings(environ),
            config=config,
            engine=engine,
            sessions=sessions,
            redis=client,
            environ=environ,
            producer=Producer(actors.broker),
            clock=clock,
            senders=senders,
        )
        runtime.install(rt)
        cleanup.callback(runtime.install, None)
        plant = Plant(rt=rt, actors=actors, mailbox=mailbox, clock=clock)
        plant.start_worker()
        cleanup.callback(plant.stop_worker)
        return plant

    with cleanup:
        yield build


@pytest.fixture
def plant(make_plant: Callable[[str], Plant]) -> Plant:
    return make_plant("")
