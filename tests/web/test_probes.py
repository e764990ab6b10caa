"""``/healthz``, ``/readyz`` and ``/openapi.json``: what a load balancer, an orchestrator
and an API client read, against real Redis and databases (and closed ports)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from plaint.config import Config
from plaint.models import create_db_engine, session_factory
from plaint.web.app import create_app
from plaint.web.probes import RedisProbe
from tests.servers import free_port
from tests.web.conftest import Api, TestClient


@contextlib.contextmanager
def client(config: Config, database_url: str, redis_url: str | None) -> Iterator[TestClient]:
    """A client of an app on ``database_url`` and ``redis_url``, closed afterwards."""
    engine = create_db_engine(database_url)
    probe = RedisProbe(redis_url)
    app = create_app(config=config, sessions=session_factory(engine), redis_ready=probe,
                     clock=lambda: datetime.now(UTC))  # fmt: skip
    try:
        with TestClient(app) as http:
            yield http
    finally:
        probe.close()
        engine.dispose()


def test_healthz_needs_nothing_but_the_process(api: Api) -> None:
    response = api.client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_readyz_is_200_when_the_database_and_redis_answer(api: Api) -> None:
    response = api.client.get("/readyz")
    assert (response.status_code, response.json()) == (200, {"status": "ok", "failed": []})


@pytest.mark.parametrize("redis_url", ["closed-port", None])
def test_readyz_is_503_naming_redis_when_it_does_not_answer(
    web_config: Config, db_url: str, redis_url: str | None
) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0" if redis_url else None
    with client(web_config, db_url, url) as http:
        response = http.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failed": ["redis"]}


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_readyz_is_503_naming_the_database_when_it_does_not_answer(
    web_config: Config, redis_url: str, tmp_path: Path, database: str
) -> None:
    url = {
        "sqlite": f"sqlite:///{tmp_path / 'no-such-dir' / 'plaint.db'}",
        "postgresql": f"postgresql://plaint@127.0.0.1:{free_port()}/plaint",
    }[database]
    with client(web_config, url, redis_url) as http:
        response = http.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failed": ["database"]}


def test_openapi_lists_the_ticket_endpoints_and_bearer_auth(api: Api) -> None:
    response = api.client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert {"/api/v1/tickets", "/api/v1/tickets/{number}", "/healthz", "/readyz"} <= set(
        spec["paths"]
    )
    parameters = {p["name"] for p in spec["paths"]["/api/v1/tickets"]["get"]["parameters"]}
    assert {"status", "department", "assignee", "at_risk", "breached", "limit",
            "offset"} <= parameters  # fmt: skip
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
