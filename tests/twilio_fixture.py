"""The ``standin`` fixture: :class:`plaint.demo.twilio_standin.TwilioStandIn` on a free
port, its resources shaped as Twilio's published responses (../shared/eval)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from plaint.demo.twilio_standin import ACCOUNT, SENDER, TOKEN, TwilioStandIn
from tests.shared_data import eval_path

__all__ = ["ACCOUNT", "SENDER", "TOKEN", "StandIn", "standin", "standin_server"]

StandIn = TwilioStandIn


@contextlib.contextmanager
def running_standin(directory: Path) -> Iterator[StandIn]:
    """The stand-in on a free port, its state in ``directory``, for the length of the
    block (tests and the soak)."""
    shapes = eval_path("twilio", "rest-responses")
    directory.mkdir(parents=True, exist_ok=True)
    with StandIn(state=directory / "state.json", shapes=shapes) as server:
        yield server


@pytest.fixture(scope="session")
def standin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandIn]:
    with running_standin(tmp_path_factory.mktemp("twilio")) as server:
        yield server


@pytest.fixture
def standin(standin_server: StandIn) -> StandIn:
    """The stand-in, emptied (and restarted if a test made it die)."""
    if standin_server.process is None or standin_server.process.poll() is not None:
        standin_server.start()
    standin_server.control("reset")
    return standin_server
