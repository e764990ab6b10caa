"""What the demo's local servers share: they listen on loopback only, on a port that was
free a moment before, and run between ``start()`` and ``stop()`` (or in a ``with``)."""

from __future__ import annotations

import socket
from collections.abc import Sequence
from types import TracebackType
from typing import Self

__all__ = ["LOOPBACK", "LocalServer", "free_port", "start_together"]

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """Return a TCP port on loopback that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


class LocalServer:
    """A server that ``start()`` starts (blocking until it answers) and ``stop()`` stops
    (nothing if it is not running); a context manager doing both. ``start()`` is
    ``launch()`` (begin, without waiting) then ``wait_ready()``, so that several servers
    can boot at once (:func:`start_together`)."""

    def start(self) -> None:
        """Start serving; block until the server answers."""
        self.launch()
        self.wait_ready()

    def launch(self) -> None:
        """Begin starting the server; may return before it answers."""
        raise NotImplementedError

    def wait_ready(self) -> None:
        """Block until a launched server answers; raise (and stop it) if it cannot."""

    def stop(self) -> None:
        """Stop serving; nothing if it is not running."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_together(servers: Sequence[LocalServer]) -> None:
    """Launch every server, then wait for each: their start-ups overlap. If one fails,
    all are stopped and its error is raised."""
    try:
        for server in servers:
            server.launch()
        for server in servers:
            server.wait_ready()
    except BaseException:
        for server in servers:
            server.stop()
        raise
