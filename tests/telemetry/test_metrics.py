"""``GET /metrics`` on the web app after a real poll and triage: the shared-state gauges
(tickets, queues, pollers) and the triage latency counted by the worker that triaged."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime

import redis
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from plaint.models import create_db_engine, session_factory
from plaint.queue.broker import build_broker
from plaint.telemetry.metrics import SLA_MARKS, count_sla_marks
from plaint.telemetry.state import FAMILIES, StateCollector
from plaint.web.app import create_app
from plaint.web.serve import metrics_registry
from tests.plant import Plant
from tests.servers import free_port
from tests.workers.test_flow import complaint

with warnings.catch_warnings():
    # As in tests/web/conftest.py: Starlette warns once when it falls back to httpx.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _triaged() -> float:
    return REGISTRY.get_sample_value("plaint_triage_latency_seconds_count") or 0.0


def test_metrics_show_the_ticket_the_queues_and_the_poller_after_a_triage(plant: Plant) -> None:
    before = _triaged()
    plant.mailbox.append(complaint(1))
    plant.poll()
    assert len(plant.tickets()) == 1
    app = create_app(
        config=plant.rt.config, sessions=plant.sessions, redis_ready=lambda: True,
        clock=plant.clock, metrics=metrics_registry(plant.rt.settings, plant.rt.config,
                                                    plant.rt.engine),
    )  # fmt: skip
    response = TestClient(app).get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = _samples(response.text)
    assert samples[("plaint_tickets", (("status", "open"),))] == 1
    assert samples[("plaint_tickets", (("status", "waiting"),))] == 0
    assert samples[("plaint_queue_depth", (("queue", "triage"),))] == 0
    assert samples[("plaint_poller_lag_seconds", (("source", "mail"),))] >= 0
    for part in ("database", "queues", "pollers"):
        assert samples[("plaint_state_up", (("part", part),))] == 1
    assert {name for name, _ in samples} >= set(FAMILIES) - {
        "plaint_quarantined_items",
        "plaint_outbox_notifications",
    }
    # The worker that triaged it (in this process) timed it.
    assert _triaged() == before + 1


def test_a_database_that_is_down_is_reported_not_raised(redis_url: str) -> None:
    engine = create_db_engine(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none")
    collector = StateCollector(
        sessions=session_factory(engine), client=redis.Redis.from_url(redis_url),
        broker=build_broker(redis_url), sources=["mail"], clock=lambda: datetime.now(UTC),
    )  # fmt: skip
    registry = CollectorRegistry()
    registry.register(collector)
    samples = _samples(generate_latest(registry).decode())
    engine.dispose()
    assert samples[("plaint_state_up", (("part", "database"),))] == 0
    assert samples[("plaint_state_up", (("part", "queues"),))] == 1
    assert ("plaint_tickets", (("status", "open"),)) not in samples


def test_sla_marks_are_counted_once_committed_never_when_rolled_back(plant: Plant) -> None:
    from plaint.models import SlaMark

    plant.mailbox.append(complaint(2))
    plant.poll()
    [ticket] = plant.tickets()
    count_sla_marks(plant.sessions)
    breaches = SLA_MARKS["breach"].labels(clock="first_response")
    before = breaches._value.get()
    mark = {"ticket_id": ticket.id, "clock": "first_response", "cycle": 0,
            "due_at": ticket.received_at, "fired_at": ticket.received_at}  # fmt: skip
    with plant.sessions() as session:
        session.add(SlaMark(mark="breach", **mark))
        session.flush()
        session.rollback()
    assert breaches._value.get() == before
    with plant.sessions.begin() as session:
        session.add(SlaMark(mark="breach", **mark))
    assert breaches._value.get() == before + 1
