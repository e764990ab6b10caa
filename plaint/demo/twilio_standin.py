"""A stand-in for Twilio's REST API on loopback, for ``plaint demo``, the tests and the
benches: the real ``twilio`` client (and so plaint's SMS sender and pullers) talks to it
through ``PLAINT_TWILIO_API_URL``.

:class:`TwilioStandIn` runs :mod:`plaint.demo.twilio_api` (what it serves, and its
``/_control`` endpoints) in a child process on a free loopback port::

    with TwilioStandIn(state=tmp / "twilio.json") as twilio:
        environ.update(twilio.environ(public_url="http://127.0.0.1:8000"))
        ...
        twilio.sent()  # [{"sid", "to", "body", "status_callback"}, ...], oldest first

The child asks for SIGTERM when its parent dies (Linux), so nothing outlives the caller.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from plaint.config.twilio import TwilioSettings
from plaint.demo.loopback import LOOPBACK, LocalServer, free_port
from plaint.errors import ConfigError
from plaint.workers.procutil import child_preexec, stop_process

__all__ = ["ACCOUNT", "SENDER", "TOKEN", "TwilioStandIn"]

# The account, token and sender number a stand-in accepts unless told otherwise.
ACCOUNT = "AC" + "0" * 32
TOKEN = "stand-in-token"  # noqa: S105 (a loopback stand-in's fixed credential)
SENDER = "+8610690000"
STARTUP_TIMEOUT_SECONDS = 30.0
_PROBE_INTERVAL_SECONDS = 0.05
_APP = "plaint.demo.twilio_api"


class TwilioStandIn(LocalServer):
    """The stand-in in a child process on a free loopback port (see the module docstring;
    a :class:`~plaint.demo.loopback.LocalServer`). ``start()`` again after it died (or was
    stopped) restarts it on the same port and state file."""

    def __init__(
        self, *, state: Path, account: str = ACCOUNT, token: str = TOKEN,
        sender: str = SENDER, shapes: Path | None = None,
    ) -> None:  # fmt: skip
        self.state, self.account, self.token, self.sender = state, account, token, sender
        self.shapes = shapes
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def launch(self) -> None:
        """Start the child, without waiting for it."""
        argv = [sys.executable, "-m", _APP, str(self.port), str(self.state),
                self.account, self.token, *([str(self.shapes)] if self.shapes else [])]  # fmt: skip
        self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, preexec_fn=child_preexec)

    def wait_ready(self) -> None:
        """Block until the child answers; raise ConfigError (and stop it) if it does not
        within STARTUP_TIMEOUT_SECONDS."""
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        # One client for all probes: each new one loads the CA bundle (~0.1 s of CPU).
        with httpx.Client(timeout=1.0) as http:
            while self.process is not None and self.process.poll() is None:
                if time.monotonic() > deadline:
                    break
                try:
                    http.get(f"{self.url}/_control/sent").raise_for_status()
                    return
                except httpx.HTTPError:
                    time.sleep(_PROBE_INTERVAL_SECONDS)
        self.stop()
        raise ConfigError("the Twilio stand-in did not start")

    def stop(self) -> None:
        """Stop the child (SIGTERM, then SIGKILL); nothing if it is not running."""
        process, self.process = self.process, None
        if process is not None:
            stop_process(process)

    def sent(self) -> list[dict[str, Any]]:
        """The messages accepted so far, oldest first."""
        return list(httpx.get(f"{self.url}/_control/sent").raise_for_status().json())

    def control(self, path: str, payload: Any = None, *, content: bytes | None = None) -> Any:
        """POST to ``/_control/{path}`` (JSON ``payload``, or raw ``content``); its JSON."""
        url = f"{self.url}/_control/{path}"
        if content is not None:
            response = httpx.post(url, content=content)
        else:
            response = httpx.post(url, json=payload)
        return response.raise_for_status().json()

    def settings(self, *, public_url: str = "https://plaint.example.com") -> TwilioSettings:
        """The settings of a plaint using this stand-in, its webhooks at ``public_url``."""
        return TwilioSettings(
            account_sid=self.account, auth_token=self.token, sender=self.sender,
            public_url=public_url, api_url=self.url,
        )  # fmt: skip

    def environ(self, *, public_url: str) -> dict[str, str]:
        """The same as ``PLAINT_TWILIO_*`` and ``PLAINT_PUBLIC_URL`` environment variables."""
        return {
            "PLAINT_TWILIO_ACCOUNT_SID": self.account, "PLAINT_TWILIO_AUTH_TOKEN": self.token,
            "PLAINT_TWILIO_FROM": self.sender, "PLAINT_TWILIO_API_URL": self.url,
            "PLAINT_PUBLIC_URL": public_url,
        }  # fmt: skip
