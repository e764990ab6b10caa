"""Quiet hours: when a non-urgent message to a resident waits for the morning.

"No SMS at night unless urgent": a message that is neither urgent (an emergency) nor a
direct answer to something the resident has just sent (an acknowledgement, a status
answer, an opt-out confirmation) is held until the quiet hours end, in the resident's
local time. A pure function of its arguments: ``now`` is given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from plaint.errors import ConfigError

__all__ = ["QuietHours", "parse_quiet_hours", "send_after"]

_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class QuietHours:
    """From ``start`` to ``end`` (local wall times; ``start > end`` spans midnight)."""

    start: time
    end: time

    def contains(self, moment: time) -> bool:
        """Whether the wall time ``moment`` falls in the quiet hours (``end`` excluded)."""
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


def parse_quiet_hours(text: str) -> QuietHours | None:
    """``"21:00-08:00"`` → QuietHours; ``""`` or ``"off"`` → ``None`` (never quiet).
    Raises ConfigError for anything else, or a range that is empty."""
    if text.strip().lower() in ("", "off"):
        return None
    match = _RANGE.match(text)
    if match is None:
        raise ConfigError(f"{text!r} is not a range HH:MM-HH:MM (e.g. 21:00-08:00) or off")
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59 or (h1, m1) == (h2, m2):
        raise ConfigError(f"{text!r} is not a non-empty range of times of day")
    return QuietHours(start=time(h1, m1), end=time(h2, m2))


def send_after(
    *, now: datetime, zone: tzinfo, quiet: QuietHours | None, urgent: bool, direct: bool
) -> datetime:
    """When a message to a resident may go: ``now`` when it is ``urgent``, ``direct``, or
    ``now`` is outside ``quiet`` in ``zone``; otherwise the end of these quiet hours (the
    next ``quiet.end`` wall time in ``zone``, as an aware datetime in ``zone``)."""
    if urgent or direct or quiet is None:
        return now
    local = now.astimezone(zone)
    if not quiet.contains(local.time()):
        return now
    end = local.replace(hour=quiet.end.hour, minute=quiet.end.minute, second=0, microsecond=0)
    if end <= local:
        end = (local + timedelta(days=1)).replace(
            hour=quiet.end.hour, minute=quiet.end.minute, second=0, microsecond=0
        )
    # Re-attach the zone so a DST change between the two dates gives the right offset.
    return end.replace(tzinfo=None).replace(tzinfo=zone)
