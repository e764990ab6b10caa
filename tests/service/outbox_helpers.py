"""Helpers of the outbox tests: outbox rows for residents with email addresses, written
directly (no triage), and reading the rows back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plaint.models import Notification, Resident


def add_notifications(
    sessions: sessionmaker[Session], count: int, *, now: datetime, prefix: str = "n"
) -> list[int]:
    """Add ``count`` pending "already tracked" notices, each to a resident of its own who
    has only an email address; return their ids."""
    ids = []
    with sessions.begin() as session:
        for i in range(count):
            resident = Resident(email=f"{prefix}{i}@example.com", created_at=now)
            session.add(resident)
            session.flush()
            row = Notification(
                key=f"{prefix}:{i}", recipient_kind="resident", recipient=str(resident.id),
                template="already_tracked", data={"ticket": f"TS-2026-{i:06d}"},
                not_before=now, created_at=now,
            )  # fmt: skip
            session.add(row)
            session.flush()
            ids.append(row.id)
    return ids


def phone_of(prefix: str, i: int) -> str:
    """The phone number of resident ``i`` of :func:`add_sms_notifications`."""
    return f"+86139{sum(map(ord, prefix)) % 10000:04d}{i:04d}"


def add_sms_notifications(
    sessions: sessionmaker[Session], count: int, *, now: datetime, prefix: str = "s",
    template: str = "already_tracked", data: dict[str, Any] | None = None,
) -> list[int]:  # fmt: skip
    """Add ``count`` pending notifications (``template``, default "already tracked"), each to
    a resident of its own who has only a phone number (+86139PPPPNNNN, PPPP from
    ``prefix``); return their ids."""
    ids = []
    with sessions.begin() as session:
        for i in range(count):
            phone = phone_of(prefix, i)
            resident = Resident(phone=phone, created_at=now)
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


def rows(sessions: sessionmaker[Session]) -> list[Notification]:
    with sessions() as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))
