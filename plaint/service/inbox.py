"""The inbox as operators see it: what is pending, done or quarantined, and putting a
quarantined item back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from plaint.models import Inbox, InboxStatus

__all__ = ["pending_inbox_ids"]


def pending_inbox_ids(session: Session, *, older_than: datetime, limit: int) -> list[int]:
    """Return the ids of up to ``limit`` pending inbox rows stored before ``older_than``,
    oldest first."""
    return list(
        session.scalars(
            select(Inbox.id)
            .where(Inbox.status == InboxStatus.PENDING, Inbox.created_at < older_than)
            .order_by(Inbox.id)
            .limit(limit)
        )
    )
