"""Helpers of the tests that drive plaint's processes: find a process's children, and
probe until something holds (never a fixed sleep)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

PROBE_SECONDS = 0.05


def children(pid: int) -> list[int]:
    """The child process ids of ``pid`` (empty if it is gone)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def wait_for(
    predicate: Callable[[], bool], *, seconds: float, what: str, probe: float = PROBE_SECONDS
) -> float:
    """Probe until ``predicate`` holds; return how long it took."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if predicate():
            return time.monotonic() - start
        time.sleep(probe)
    raise AssertionError(f"not within {seconds} s: {what}")
