"""Service-level deadlines of a ticket (first version: plain clock time).

The working-day calendar replaces plain calendar days in a later step; callers already
pass ``start`` explicitly, so nothing here reads the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["DueTimes", "SlaPolicy", "initial_due"]


@dataclass(frozen=True)
class SlaPolicy:
    """Budgets from the first inbound message: first response and closure."""

    first_response: timedelta = timedelta(hours=24)
    closure: timedelta = timedelta(days=3)


@dataclass(frozen=True)
class DueTimes:
    """When the first response and the closure are due (timezone-aware)."""

    first_response_due: datetime
    closure_due: datetime


def initial_due(*, start: datetime, policy: SlaPolicy) -> DueTimes:
    """Return the due times of a ticket whose first inbound message arrived at ``start``.

    Raises ValueError if ``start`` is naive: a deadline without a time zone is a bug.
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    return DueTimes(
        first_response_due=start + policy.first_response,
        closure_due=start + policy.closure,
    )
