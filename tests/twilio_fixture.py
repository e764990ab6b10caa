"""The ``standin`` fixture: :mod:`tests.twilio_standin` in a subprocess on a free port."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from plaint.config.twilio import TwilioSettings
from tests.servers import free_port, stop, tcp_open, wait_until
from tests.shared_data import eval_path

ACCOUNT = "AC" + "0" * 32
TOKEN = "stand-in-token"
SENDER = "+8610690000"


@dataclass
class StandIn:
    """A running stand-in: its URL and a client of its control endpoints."""

    url: str
    state: Path
    port: int
    process: subprocess.Popen[bytes]

    def settings(self, *, public_url: str = "https://plaint.example.com") -> TwilioSettings:
        return TwilioSettings(account_sid=ACCOUNT, auth_token=TOKEN, sender=SENDER,
                              public_url=public_url, api_url=self.url)  # fmt: skip

    def control(self, path: str, payload: Any = None, *, content: bytes | None = None) -> Any:
        if content is not None:
            response = httpx.post(f"{self.url}/_control/{path}", content=content)
        else:
            response = httpx.post(f"{self.url}/_control/{path}", json=payload)
        response.raise_for_status()
        return response.json()

    def sent(self) -> list[dict[str, Any]]:
        return list(httpx.get(f"{self.url}/_control/sent").raise_for_status().json())

    def start(self) -> None:
        self.process = _spawn(self.port, self.state)


def _spawn(port: int, state: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.twilio_standin", str(port), str(state), ACCOUNT, TOKEN],
        cwd=Path(__file__).resolve().parents[1],
    )
    wait_until(lambda: tcp_open(port), what="the Twilio stand-in", process=process)
    return process


@contextlib.contextmanager
def running_standin(directory: Path) -> Iterator[StandIn]:
    """The stand-in on a free port, its state in ``directory``, for the length of the
    block (tests and the soak)."""
    eval_path("twilio", "rest-responses")
    port = free_port()
    state = directory / "state.json"
    server = StandIn(f"http://127.0.0.1:{port}", state, port, _spawn(port, state))
    try:
        yield server
    finally:
        stop(server.process)


@pytest.fixture(scope="session")
def standin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandIn]:
    with running_standin(tmp_path_factory.mktemp("twilio")) as server:
        yield server


@pytest.fixture
def standin(standin_server: StandIn) -> StandIn:
    """The stand-in, emptied (and restarted if a test made it die)."""
    if standin_server.process.poll() is not None:
        standin_server.start()
    standin_server.control("reset")
    return standin_server
