"""When to try a send again: exponential backoff with jitter, never sooner than the
provider asked (``Retry-After``)."""

from __future__ import annotations

from datetime import timedelta

__all__ = ["compute_backoff"]


def compute_backoff(
    attempts: int,
    *,
    base: timedelta,
    cap: timedelta,
    jitter: float,
    retry_after: timedelta | None = None,
) -> timedelta:
    """Return the wait after the ``attempts``-th failed attempt (1 for the first).

    The wait doubles from ``base`` up to ``cap``; ``jitter`` (a number in [0, 1), e.g.
    ``random.random()``) scales it into its upper half ("equal jitter"), so dispatchers
    that failed together do not retry together yet never retry much sooner than planned.
    A ``retry_after`` the provider gave is a floor, even above ``cap``."""
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts}")
    if not 0 <= jitter < 1:
        raise ValueError(f"jitter must be in [0, 1), got {jitter}")
    exponential = min(base * (1 << min(attempts - 1, 30)), cap)
    wait = exponential * (0.5 + jitter / 2)
    if retry_after is not None and retry_after > wait:
        return retry_after
    return wait
