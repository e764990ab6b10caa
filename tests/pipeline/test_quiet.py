"""Quiet hours: a non-urgent message at night waits for the morning, local time."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from plaint.errors import ConfigError
from plaint.pipeline.quiet import QuietHours, parse_quiet_hours, send_after

SHANGHAI = ZoneInfo("Asia/Shanghai")
NIGHT = QuietHours(time(21), time(8))


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("now", "urgent", "direct", "expected"),
    [
        (local(30, 23), False, False, datetime(2026, 12, 1, 8, tzinfo=SHANGHAI)),
        (local(30, 2, 30), False, False, local(30, 8)),
        (local(30, 21), False, False, datetime(2026, 12, 1, 8, tzinfo=SHANGHAI)),
        (local(30, 8), False, False, local(30, 8)),  # the end is not quiet
        (local(30, 20, 59), False, False, local(30, 20, 59)),
        (local(30, 23), True, False, local(30, 23)),  # an emergency goes at once
        (local(30, 23), False, True, local(30, 23)),  # so does a direct answer
    ],
)  # fmt: skip
def test_send_after(now: datetime, urgent: bool, direct: bool, expected: datetime) -> None:
    got = send_after(now=now.astimezone(UTC), zone=SHANGHAI, quiet=NIGHT, urgent=urgent,
                     direct=direct)  # fmt: skip
    assert got == expected


def test_daytime_quiet_hours_and_none() -> None:
    lunch = QuietHours(time(12), time(14))
    assert send_after(now=local(30, 13), zone=SHANGHAI, quiet=lunch, urgent=False,
                      direct=False) == local(30, 14)  # fmt: skip
    assert send_after(now=local(30, 23), zone=SHANGHAI, quiet=None, urgent=False,
                      direct=False) == local(30, 23)  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [("21:00-08:00", NIGHT), (" 22:30 - 7:15 ", QuietHours(time(22, 30), time(7, 15))),
     ("off", None), ("", None)],
)  # fmt: skip
def test_parse(text: str, expected: QuietHours | None) -> None:
    assert parse_quiet_hours(text) == expected


@pytest.mark.parametrize("text", ["21-8", "25:00-08:00", "08:00-08:00", "night"])
def test_parse_refuses(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_quiet_hours(text)
