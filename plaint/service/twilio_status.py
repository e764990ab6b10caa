"""Twilio's delivery status callbacks, kept per message SID in ``twilio_statuses``.

Callbacks for one message can arrive out of order (``delivered`` before ``sent``): the
most advanced status stays. An error 21610 (the recipient opted out at the carrier)
opts the number out (:mod:`plaint.service.optout`).

The lead links these rows to the outbox: ``key`` is the notification's key, taken from the
StatusCallback URL plaint's sender builds.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from plaint.models import TwilioStatus
from plaint.service.optout import CARRIER, opt_out

__all__ = ["OPTED_OUT_ERROR", "record_status"]

logger = logging.getLogger(__name__)

OPTED_OUT_ERROR = "21610"

# How far along each status is; a callback never moves a message back.
_RANK = {
    "accepted": 0, "scheduled": 0, "queued": 1, "sending": 2, "sent": 3,
    "undelivered": 4, "failed": 4, "delivered": 5, "receiving": 0, "received": 5,
    "read": 6, "canceled": 4, "partially_delivered": 4,
}  # fmt: skip


def record_status(
    session: Session,
    *,
    sid: str,
    key: str,
    status: str,
    error_code: str | None,
    recipient: str | None,
    now: datetime,
) -> bool:
    """Record ``status`` (and ``error_code``) of message ``sid`` sent for notification
    ``key``; return whether the stored status changed. ``recipient`` (E.164) is opted out
    on error 21610."""
    row = session.get(TwilioStatus, sid, with_for_update=True)
    if error_code == OPTED_OUT_ERROR and recipient:
        opt_out(session, number=recipient, reason=CARRIER, now=now, confirmation_key=None)
    if row is None:
        session.add(TwilioStatus(sid=sid, key=key, status=status, error_code=error_code,
                                 updated_at=now))  # fmt: skip
        return True
    if _RANK.get(status, 0) < _RANK.get(row.status, 0):
        logger.info("twilio message %s: stale status %s ignored", sid, status)
        return False
    row.status, row.error_code, row.updated_at = status, error_code or row.error_code, now
    return True
