"""What the demo's local servers share: they listen on loopback only, on a port that was
free a moment before, and run between ``start()`` and ``stop()`` (or in a ``with``)."""

from __future__ import annotations

import socket
from types import TracebackType
from typing import Self

__all__ = ["LOOPBACK", "LocalServer", "free_port"]

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """Return a TCP port on loopback that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


class LocalServer:
    """A server that ``start()`` starts (blocking until it answers) and ``stop()`` stops
    (nothing if it is not running); a context manager doing both."""

    def start(self) -> None:
        """Start serving; block until the server answers."""
        raise NotImplementedError

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
