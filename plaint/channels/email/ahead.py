"""Reading the next batch of a folder while the caller stores the current one.

A pull returns batch *k* and, when the folder holds a whole batch after it, starts the
FETCH of batch *k+1* on a background thread; the caller meanwhile writes batch *k* to the
database, so the server's and the database's work overlap instead of taking turns. The
next pull takes the result only if it asks for exactly those UIDs (a pull after no ack
asks for batch *k* again and fetches it itself). The connection is used by one thread at a
time: every other use first waits for the background FETCH (:meth:`ReadAhead.settle`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Generic, TypeVar

__all__ = ["ReadAhead"]

T = TypeVar("T")


class ReadAhead(Generic[T]):
    """At most one background call at a time, keyed by what it reads. One owner thread."""

    def __init__(self) -> None:
        self._executor: ThreadPoolExecutor | None = None
        self._pending: tuple[Hashable, Future[T]] | None = None
        self._done: tuple[Hashable, T] | None = None

    def start(self, key: Hashable, work: Callable[[], T]) -> None:
        """Run ``work`` in the background (after :meth:`settle`); :meth:`take` with the same
        ``key`` returns its result."""
        self.settle()
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead")
        self._pending = (key, self._executor.submit(work))

    def settle(self) -> None:
        """Wait for the background call, if any, and keep its result; raise its error (the
        connection it used is then in an unknown state: the owner closes it)."""
        pending, self._pending = self._pending, None
        if pending is not None:
            self._done = (pending[0], pending[1].result())

    def take(self, key: Hashable) -> T | None:
        """The result of the background call read as ``key``, or ``None`` (none, or one
        for another key: dropped). Raises what :meth:`settle` raises."""
        self.settle()
        done, self._done = self._done, None
        return done[1] if done is not None and done[0] == key else None

    def close(self) -> None:
        """Wait for the background call and forget it and its error; stop the thread.
        Never raises."""
        pending, self._pending, self._done = self._pending, None, None
        if pending is not None:
            wait([pending[1]])
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)
