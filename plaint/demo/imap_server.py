"""A throwaway IMAP server for ``plaint demo``: pymap's in-memory backend on loopback."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from types import TracebackType

from imapclient import IMAPClient

from plaint.errors import ConfigError
from plaint.workers.procutil import child_preexec, stop_process

__all__ = ["LocalImapServer", "free_port"]

STARTUP_TIMEOUT_SECONDS = 20.0
_PROBE_INTERVAL_SECONDS = 0.05
LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """Return a TCP port on loopback that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


class LocalImapServer:
    """pymap serving one user's in-memory mailbox on loopback; a context manager."""

    def __init__(self, *, username: str, password: str) -> None:
        self.username, self.password = username, password
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> LocalImapServer:
        argv = [
            sys.executable, "-c", "from pymap.main import main; main()",
            "--host", LOOPBACK, "--port", str(self.port), "--no-service", "admin",
            "dict", "--demo-user", self.username, "--demo-password", self.password,
        ]  # fmt: skip
        self._process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=child_preexec,
        )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                break
            try:
                self.client().logout()
                return
            except OSError:
                time.sleep(_PROBE_INTERVAL_SECONDS)
        self.__exit__(None, None, None)
        raise ConfigError("the demo IMAP server (pymap) did not start")

    def client(self) -> IMAPClient:
        """Return a logged-in client; the caller logs out."""
        client = IMAPClient(LOOPBACK, port=self.port, ssl=False, timeout=5)
        client.login(self.username, self.password)
        return client

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        process, self._process = self._process, None
        if process is not None:
            stop_process(process)
