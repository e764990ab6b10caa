"""PostgreSQL unavailable mid-load: the web process answers Twilio's webhook with an error
(Twilio retries), pollers cannot store and so do not ack (their items come again), workers
retry with back-off; when the database is back everything is triaged exactly once.

The outage lasts ``CHAOS_PG_OUTAGE_SECONDS`` (default 10, not the issue's 30): nothing in
plaint measures the outage itself — the pollers retry on each clock tick (1 s here), triage
retries back off to seconds, the outbox waits its own back-off — so 10 s already outlasts
every one of those intervals several times; 30 s only adds idle time to a suite that must
fit its CI budget. ``CHAOS_PG_OUTAGE_SECONDS=30`` runs the issue's figure by hand."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import pytest

from tests.chaos.harness import Figures, Load, Rig, Tree, make_rig, verify
from tests.conftest import Mailbox
from tests.servers import PostgresServer, RedisServer, running_postgres
from tests.smtp import SmtpServer
from tests.twilio_fixture import StandIn

ROUNDS = 10
OUTAGE_AT = 3
OUTAGE_SECONDS = float(os.environ.get("CHAOS_PG_OUTAGE_SECONDS", "10"))


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL of this test's own: it is stopped mid-test."""
    with running_postgres("chaos-pg") as server:
        yield server


@pytest.fixture
def pg_rig(
    own_postgres: PostgresServer, chaos_redis: RedisServer, mailbox: Mailbox, standin: StandIn,
    smtp_server: SmtpServer, rabbitmq_url: str, tmp_path: object,
) -> Rig:  # fmt: skip
    from pathlib import Path

    url = own_postgres.create_database("chaos")
    return make_rig(
        url, chaos_redis, mailbox, standin, smtp_server, rabbitmq_url, Path(str(tmp_path))
    )


@pytest.mark.slow
def test_postgresql_unavailable_mid_load(pg_rig: Rig, own_postgres: PostgresServer) -> None:
    figures = Figures("postgresql")
    outage: dict[str, float] = {}

    def down_and_up() -> None:
        own_postgres.pause()
        started = time.monotonic()
        time.sleep(OUTAGE_SECONDS)  # the outage itself, not a wait for a server
        own_postgres.start()
        outage["seconds"] = round(time.monotonic() - started, 1)

    with Tree(pg_rig) as tree:
        load = Load(pg_rig)
        outages: list[threading.Thread] = []

        def strike(n: int) -> None:
            if n == OUTAGE_AT:
                outages.append(threading.Thread(target=down_and_up))
                outages[0].start()

        load.feed(tree, ROUNDS, pace=0.8, during=strike)
        outages[0].join()
        settled = tree.settle(load, seconds=180)
        counts = verify(tree, load)
    figures.report(**counts, outage_seconds=outage["seconds"], settle_seconds=round(settled, 1))
