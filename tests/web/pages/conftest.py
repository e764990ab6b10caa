"""The operations pages over the staff API's seeded tickets (tests/web/conftest.py): an
app built with a secret key, and a browser-like client that signs in through the form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from plaint.config import Config
from plaint.models import read_session_factory
from plaint.service.directory import issue_token
from plaint.web.app import create_app
from plaint.web.probes import RedisProbe
from tests.web.conftest import T0, Clock, TestClient

SECRET = "test-secret-key-for-the-session-cookie"
CODES = ("li.clean", "chen.head", "zhao.fin", "desk.wu", "admin.root")
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The form token in a page."""
    found = _CSRF.search(html)
    assert found, "the page has no form token"
    return found.group(1)


@dataclass
class Pages:
    """The app under test, its clock, tickets by complaint name and tokens by staff code."""

    client: TestClient
    clock: Clock
    sessions: sessionmaker[Session]
    numbers: dict[str, str]
    tokens: dict[str, str]

    def sign_in(self, code: str) -> httpx.Response:
        """Sign in as ``code`` through the form; return the page it lands on."""
        form = self.client.get("/signin")
        return self.client.post(
            "/signin", data={"csrf": csrf_of(form.text), "token": self.tokens[code]}
        )

    def act(self, number: str, action: str, **fields: str) -> httpx.Response:
        """Post the ticket page's ``action`` form with ``fields``."""
        page = self.client.get(f"/tickets/{number}")
        data = {"csrf": csrf_of(page.text), "action": action, **fields}
        return self.client.post(f"/tickets/{number}/act", data=data)


@pytest.fixture
def pages(
    sessions: sessionmaker[Session], web_config: Config, seeded: dict[str, str], redis_url: str
) -> Iterator[Pages]:
    with sessions.begin() as session:
        tokens = {code: issue_token(session, code, now=T0) for code in CODES}
    probe, clock = RedisProbe(redis_url), Clock()
    app = create_app(config=web_config, sessions=read_session_factory(sessions.kw["bind"]),
                     redis_ready=probe, clock=clock, writer=sessions,
                     secret_key=SECRET)  # fmt: skip
    with TestClient(app) as client:
        yield Pages(client, clock, sessions, seeded, tokens)
    probe.close()
