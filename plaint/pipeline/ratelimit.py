"""The per-recipient limit on automatic mail: pure arithmetic over earlier sending times."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

__all__ = ["DEFAULT_LIMIT", "DEFAULT_WINDOW", "may_send_automatic"]

# At most this many automatic mails to one recipient per window (RFC 3834 §2 asks
# responders not to answer the same sender more than once in a while).
DEFAULT_LIMIT = 3
DEFAULT_WINDOW = timedelta(hours=1)


def may_send_automatic(
    sent_at: Iterable[datetime],
    *,
    now: datetime,
    limit: int = DEFAULT_LIMIT,
    window: timedelta = DEFAULT_WINDOW,
) -> bool:
    """Whether one more automatic mail may go to a recipient who was sent automatic mail
    at the instants ``sent_at``: fewer than ``limit`` of them fall in ``(now - window,
    now]``."""
    since = now - window
    return sum(1 for at in sent_at if since < at <= now) < limit
