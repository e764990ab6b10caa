"""A throwaway IMAP server for ``plaint demo``: pymap's in-memory backend on loopback
(with clear-text passwords: :mod:`plaint.demo.pymap_main`)."""

from __future__ import annotations

import subprocess
import sys
import time

from imapclient import IMAPClient

from plaint.demo.loopback import LOOPBACK, LocalServer, free_port
from plaint.errors import ConfigError
from plaint.workers.procutil import child_preexec, stop_process

__all__ = ["BACKEND", "LocalImapServer"]

# The pymap backend plaint.demo.pymap_main adds: pymap's in-memory one, cheap logins.
BACKEND = "demo-dict"
STARTUP_TIMEOUT_SECONDS = 20.0
_PROBE_INTERVAL_SECONDS = 0.05


class LocalImapServer(LocalServer):
    """pymap serving one user's in-memory mailbox on loopback (a
    :class:`~plaint.demo.loopback.LocalServer`)."""

    def __init__(self, *, username: str, password: str) -> None:
        self.username, self.password = username, password
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    def launch(self) -> None:
        """Start pymap, without waiting for it."""
        argv = [
            sys.executable, "-m", "plaint.demo.pymap_main",
            "--host", LOOPBACK, "--port", str(self.port), "--no-service", "admin",
            BACKEND, "--demo-user", self.username, "--demo-password", self.password,
        ]  # fmt: skip
        self._process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=child_preexec,
        )

    def wait_ready(self) -> None:
        """Block until pymap answers; raise ConfigError (and stop it) if it does not
        within STARTUP_TIMEOUT_SECONDS."""
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                break
            try:
                self.client().logout()
                return
            except OSError:
                time.sleep(_PROBE_INTERVAL_SECONDS)
        self.stop()
        raise ConfigError("the demo IMAP server (pymap) did not start")

    def client(self) -> IMAPClient:
        """Return a logged-in client; the caller logs out."""
        client = IMAPClient(LOOPBACK, port=self.port, ssl=False, timeout=5)
        client.login(self.username, self.password)
        return client

    def stop(self) -> None:
        """Stop pymap; nothing if it is not running."""
        process, self._process = self._process, None
        if process is not None:
            stop_process(process)
