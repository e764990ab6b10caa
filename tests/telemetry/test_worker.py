"""``plaint worker`` with ``PLAINT_METRICS_ADDR``: one loopback address answers for all of
its processes, and with ``PLAINT_LOG_FORMAT=json`` every line it writes, plaint's and
dramatiq's, is one JSON object with the same keys."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from plaint.channels.base import Delivery
from plaint.inbound import ChannelKind
from plaint.models import Ticket, create_db_engine, session_factory
from plaint.queue.broker import build_broker
from plaint.queue.producer import Producer
from plaint.service.store import store_delivery
from plaint.workers.logs import JSON_KEYS
from tests.servers import free_port
from tests.workers.test_flow import complaint

REPO = Path(__file__).resolve().parents[2]
READY_SECONDS = 60.0
PROBE_SECONDS = 0.1


def _triaged(url: str) -> float | None:
    """The worker's triage count, or ``None`` while its endpoint does not answer."""
    try:
        text = httpx.get(url, timeout=2.0).text
    except httpx.HTTPError:
        return None
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "plaint_triage_latency_seconds_count":
                return sample.value
    return 0.0


def _store_and_enqueue(db_url: str, redis_url: str, count: int) -> None:
    engine = create_db_engine(db_url)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    producer = Producer(build_broker(redis_url))
    for n in range(count):
        delivery = Delivery("mail", ChannelKind.EMAIL, f"<m{n}@example.com>",
                            complaint(n, f"{n + 1}号楼门口灯坏了"), now, str(n))  # fmt: skip
        with sessions.begin() as session:
            item = store_delivery(session, delivery, now=now)
        producer.triage(item.inbox_id)
    engine.dispose()


def _tickets(db_url: str) -> int:
    engine = create_db_engine(db_url)
    with session_factory(engine)() as session:
        count = int(session.scalar(select(func.count()).select_from(Ticket)) or 0)
    engine.dispose()
    return count


@pytest.mark.slow
def test_a_worker_serves_metrics_on_loopback_and_logs_json(
    db_url: str, redis_url: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ, "PYTHONPATH": str(REPO), "PLAINT_DATABASE_URL": db_url,
        "PLAINT_REDIS_URL": redis_url, "PLAINT_DATA_DIR": str(tmp_path / "data"),
        "PLAINT_METRICS_ADDR": f"127.0.0.1:{port}", "PLAINT_LOG_FORMAT": "json",
        "PLAINT_LOG_LEVEL": "INFO", "PLAINT_WORKER_PROCESSES": "2", "PLAINT_WORKER_THREADS": "1",
    }  # fmt: skip
    env.pop("PLAINT_CONFIG", None)
    log = tmp_path / "worker.log"
    with log.open("wb") as stderr:
        worker = subprocess.Popen(
            [sys.executable, "-m", "plaint", "worker", "--queues", "triage"],
            env=env, stdout=subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        _store_and_enqueue(db_url, redis_url, 4)
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline and _triaged(url) != 4:
            assert worker.poll() is None, log.read_text()
            time.sleep(PROBE_SECONDS)  # probing a server until it answers, not waiting blind
        # Both processes' counts, summed: every item triaged once.
        assert _triaged(url) == 4, log.read_text()
        assert _tickets(db_url) == 4
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    records = [json.loads(line) for line in log.read_text("utf-8").splitlines() if line]
    loggers = {r["logger"].split(".")[0] for r in records}
    assert {"plaint", "dramatiq"} <= loggers
    assert all(tuple(k for k in r if k != "exc_info") == JSON_KEYS for r in records)
    assert any("metrics: serving on 127.0.0.1" in r["message"] for r in records)
