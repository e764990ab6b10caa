from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from plaint.pipeline.sla import SlaPolicy, initial_due

SHANGHAI = timezone(timedelta(hours=8))


@pytest.mark.parametrize(
    ("start", "first", "closure"),
    [
        (datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI), datetime(2026, 11, 3, 9, 0, tzinfo=SHANGHAI),
         datetime(2026, 11, 5, 9, 0, tzinfo=SHANGHAI)),
        (datetime(2026, 12, 31, 23, 59, tzinfo=UTC), datetime(2027, 1, 1, 23, 59, tzinfo=UTC),
         datetime(2027, 1, 3, 23, 59, tzinfo=UTC)),
    ],
)  # fmt: skip
def test_default_policy_is_24_hours_and_3_days(
    start: datetime, first: datetime, closure: datetime
) -> None:
    due = initial_due(start=start, policy=SlaPolicy())
    assert (due.first_response_due, due.closure_due) == (first, closure)


def test_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        initial_due(start=datetime(2026, 1, 1), policy=SlaPolicy())
