from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from plaint.pipeline.ratelimit import may_send_automatic

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("minutes_ago", "allowed"),
    [
        ([], True),
        ([5, 10], True),
        ([5, 10, 20], False),
        ([5, 10, 61], True),
        ([5, 10, 60], True),
        ([-1, -2, -3], True),
    ],
)
def test_at_most_three_automatic_mails_an_hour(minutes_ago: list[int], allowed: bool) -> None:
    sent = [NOW - timedelta(minutes=m) for m in minutes_ago]
    assert may_send_automatic(sent, now=NOW) is allowed


@pytest.mark.parametrize(
    ("subject", "numbers"),
    [
        ("Re: [TS-2026-000123] 漏水", ["TS-2026-000123"]),
        ("回复：TS-2026-000123 和 TS-2026-000124", ["TS-2026-000123", "TS-2026-000124"]),
        ("XTS-2026-000123 TS-2026-0001234 TS-26-000123", []),
    ],
)
def test_ticket_numbers_in_a_subject(subject: str, numbers: list[str]) -> None:
    from plaint.pipeline.numbering import ticket_numbers_in

    assert ticket_numbers_in(subject, prefix="TS") == numbers
