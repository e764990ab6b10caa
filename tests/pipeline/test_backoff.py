"""Retry waits: doubling, capped, jittered into the upper half, Retry-After as a floor."""

from __future__ import annotations

from datetime import timedelta

import pytest

from plaint.pipeline.backoff import compute_backoff

S = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("attempts", "jitter", "retry_after", "expected"),
    [
        (1, 0.0, None, 15 * S),
        (2, 0.0, None, 30 * S),
        (3, 0.5, None, 90 * S),
        (1, 0.999, None, 29.985 * S),
        (20, 0.0, None, 900 * S),  # capped at 30 min, lower half
        (1, 0.0, 120.0, 120 * S),  # the provider's Retry-After wins
        (2, 0.0, 10.0, 30 * S),  # ...only when it is longer
        (1, 0.0, 7200.0, 7200 * S),  # even above the cap
    ],
)
def test_compute_backoff(
    attempts: int, jitter: float, retry_after: float | None, expected: timedelta
) -> None:
    after = None if retry_after is None else retry_after * S
    wait = compute_backoff(attempts, base=30 * S, cap=1800 * S, jitter=jitter, retry_after=after)
    assert abs(wait - expected) < timedelta(milliseconds=1)


@pytest.mark.parametrize(("attempts", "jitter"), [(0, 0.0), (1, 1.0), (1, -0.1)])
def test_compute_backoff_refuses_nonsense(attempts: int, jitter: float) -> None:
    with pytest.raises(ValueError, match="must be"):
        compute_backoff(attempts, base=S, cap=S, jitter=jitter)
