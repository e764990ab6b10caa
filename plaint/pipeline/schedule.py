"""Which periodic jobs are due: the clock process's schedule, as a pure value that takes
the monotonic time as an argument."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

__all__ = ["Schedule"]


class Schedule:
    """Named jobs with intervals; :meth:`due` returns the jobs whose time has come."""

    def __init__(self, intervals: Mapping[str, timedelta]) -> None:
        self._intervals = {name: interval.total_seconds() for name, interval in intervals.items()}
        self._next: dict[str, float] = {}

    def due(self, now: float) -> list[str]:
        """Return the jobs due at monotonic time ``now`` (every job is due at its first
        call) and schedule each one interval later."""
        ready = [name for name in self._intervals if self._next.get(name, now) <= now]
        for name in ready:
            self._next[name] = now + self._intervals[name]
        return ready
