"""Helpers of the outbox tests: outbox rows for residents with email addresses, written
directly (no triage), and reading the rows back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plaint.models import Notification, Resident


def add_notifications(
    sessions: sessionmaker[Session], count: int, *, now: datetime, prefix: str = "n",
    channel: str = "email", template: str = "already_tracked",
    data: dict[str, Any] | None = None,
) -> list[int]:  # fmt: skip
    """Add ``count`` pending notifications (``template``, default an "already tracked"
    notice), each to a resident of its own who has only an email address (``channel``
    "email": ``{prefix}{i}@example.com``) or only a phone number ("sms": ``phone_of``);
    return their ids."""
    ids = []
    with sessions.begin() as session:
        for i in range(count):
            if channel == "email":
                resident = Resident(email=f"{prefix}{i}@example.com", created_at=now)
            else:
                resident = Resident(phone=phone_of(prefix, i), created_at=now)
            session.add(resident)
            session.flush()
            row = Notification(
                key=f"{prefix}:{i}", recipient_kind="resident", recipient=str(resident.id),
                template=template, data=data or {"ticket": f"TS-2026-{i:06d}"},
                not_before=now, created_at=now,
            )  # fmt: skip
            session.add(row)
            session.flush()
            ids.append(row.id)
    return ids


def add_sms_notifications(
    sessions: sessionmaker[Session], count: int, *, now: datetime, prefix: str = "s",
    **options: Any,
) -> list[int]:  # fmt: skip
    """:func:`add_notifications` to residents who have only a phone number."""
    return add_notifications(sessions, count, now=now, prefix=prefix, channel="sms", **options)


def phone_of(prefix: str, i: int) -> str:
    """The phone number of resident ``i`` of :func:`add_sms_notifications`."""
    return f"+86139{sum(map(ord, prefix)) % 10000:04d}{i:04d}"


def rows(sessions: sessionmaker[Session]) -> list[Notification]:
    with sessions() as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))
