"""Keeping a small process tree alive: start each child, restart what dies, stop all.

dramatiq's master process exits when one of its worker processes dies (``kill -9``), taking
the others down with it; ``plaint run`` restarts it, with a back-off that grows while a
child keeps dying young and resets once it has stayed up.
"""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from plaint.workers.procutil import child_preexec, stop_process

__all__ = ["ChildSpec", "Supervisor", "restart_delay"]

logger = logging.getLogger(__name__)

MIN_RESTART_DELAY = timedelta(seconds=1)
MAX_RESTART_DELAY = timedelta(seconds=30)
# A child that stayed up this long is healthy again: its back-off starts over.
HEALTHY_AFTER = timedelta(seconds=60)
_POLL_SECONDS = 0.2
# Past this many doublings the delay is capped anyway; bounding it avoids huge numbers.
_MAX_DOUBLINGS = 16


def restart_delay(failures: int) -> timedelta:
    """Return the wait before the ``failures``-th consecutive restart: none for the first
    (a healthy child that died once is back at once), then 1, 2, 4 … 30 s."""
    if failures <= 1:
        return timedelta(0)
    doublings = min(failures - 2, _MAX_DOUBLINGS)
    delay: timedelta = MIN_RESTART_DELAY * 2**doublings
    return min(delay, MAX_RESTART_DELAY)


@dataclass(frozen=True)
class ChildSpec:
    """A child process: a name for logs, its argv, and its full environment."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str]


@dataclass
class _Child:
    spec: ChildSpec
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    failures: int = 0
    restart_at: float = 0.0
    restarts: int = field(default=0)


class Supervisor:
    """Runs children until :meth:`stop` is called; restarts any that exit meanwhile."""

    def __init__(self, specs: Sequence[ChildSpec]) -> None:
        self._children = [_Child(spec) for spec in specs]
        self._stop = threading.Event()

    def stop(self) -> None:
        """Ask :meth:`run` to stop the children and return; safe from a signal handler."""
        self._stop.set()

    def restarts(self, name: str) -> int:
        """Return how often the child ``name`` has been restarted."""
        return next(c.restarts for c in self._children if c.spec.name == name)

    def pid(self, name: str) -> int | None:
        """Return the pid of the running child ``name``, if it is running."""
        child = next(c for c in self._children if c.spec.name == name)
        return None if child.process is None else child.process.pid

    def run(self) -> None:
        """Start every child, then watch them until stopped; blocks."""
        try:
            for child in self._children:
                self._start(child)
            while not self._stop.wait(_POLL_SECONDS):
                for child in self._children:
                    self._watch(child)
        finally:
            for child in reversed(self._children):
                if child.process is not None:
                    stop_process(child.process)
                    child.process = None

    def _start(self, child: _Child) -> None:
        child.process = subprocess.Popen(
            list(child.spec.argv),
            env=dict(child.spec.env),
            stdin=subprocess.DEVNULL,
            preexec_fn=child_preexec,
            close_fds=True,
        )
        child.started = time.monotonic()
        logger.info("started %s (pid %s)", child.spec.name, child.process.pid)

    def _watch(self, child: _Child) -> None:
        now = time.monotonic()
        if child.process is not None:
            code = child.process.poll()
            if code is None:
                return
            uptime = now - child.started
            child.failures = 1 if uptime >= HEALTHY_AFTER.total_seconds() else child.failures + 1
            delay = restart_delay(child.failures)
            logger.warning(
                "%s exited with %s after %.0f s; restarting in %.0f s",
                child.spec.name, code, uptime, delay.total_seconds(),
            )  # fmt: skip
            child.process = None
            child.restart_at = now + delay.total_seconds()
        if now >= child.restart_at:
            child.restarts += 1
            self._start(child)
