"""Channel fallback: a message to a resident that cannot be delivered on one channel is
sent once on the other, where the resident has an address there.

SMS → email when Twilio refuses the message for good (invalid number, 21610 opted out at
the carrier: a PermanentSendError) or reports it ``undelivered``/``failed`` later (a
status callback); email → SMS when the SMTP server refuses the recipient for good or the
mail bounces (the bounce encloses our Message-ID, the row's ``provider_id``). The
fallback is a new outbox row keyed ``{key}:fallback`` — so a repeated callback or bounce
adds nothing — with the same template and data; it is not itself fallen back from.
Only residents' messages fall back (staff have their own addresses to fix).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from plaint.models import Notification, NotificationStatus, Resident
from plaint.service.mailtriage import email_failing
from plaint.service.store import dialect_insert

__all__ = ["FALLBACK_SUFFIX", "fall_back", "fall_back_bounced"]

logger = logging.getLogger(__name__)

FALLBACK_SUFFIX = ":fallback"
_OTHER = {"sms": "email", "email": "sms"}


def _other_address(session: Session, row: Notification) -> tuple[str, str] | None:
    other = _OTHER.get(row.channel or "")
    if other is None or row.recipient_kind != "resident" or not row.recipient.isdigit():
        return None
    resident = session.get(Resident, int(row.recipient))
    if resident is None:
        return None
    where = resident.phone if other == "sms" else resident.email
    if not where or (other == "email" and email_failing(session, where)):
        return None
    return other, where


def fall_back(session: Session, key: str, *, now: datetime) -> bool:
    """Queue notification ``key`` again on the resident's other channel; return whether a
    row was added (not for a fallback, a staff notice, a resident with no other address,
    or a fallback already queued)."""
    row = session.scalar(select(Notification).where(Notification.key == key))
    if row is None or key.endswith(FALLBACK_SUFFIX):
        return False
    other = _other_address(session, row)
    if other is None:
        return False
    added = session.execute(
        dialect_insert(session, Notification)
        .values(key=f"{key}{FALLBACK_SUFFIX}", ticket_id=row.ticket_id,
                recipient_kind=row.recipient_kind, recipient=row.recipient,
                template=row.template, data=row.data, urgent=row.urgent, not_before=now,
                created_at=now, updated_at=now, status=NotificationStatus.PENDING.value,
                attempts=0, channel=other[0])
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(Notification.id)
    ).scalar()  # fmt: skip
    if added is not None:
        logger.info("notification %s: falling back from %s as %s", row.id, row.channel, added)
    return added is not None


def fall_back_bounced(session: Session, message_ids: Iterable[str], *, now: datetime) -> int:
    """Fall back from the email notifications whose Message-IDs a bounce names; return
    how many fallbacks were queued."""
    ids = [f"<{value.strip('<>')}>" for value in message_ids]
    if not ids:
        return 0
    keys = session.scalars(
        select(Notification.key).where(Notification.channel == "email",
                                       Notification.provider_id.in_(ids))
    ).all()  # fmt: skip
    return sum(fall_back(session, key, now=now) for key in keys)
