"""Twilio's delivery status callbacks, recorded on the outbox row they are about.

Plaint's sender carries the notification's key in each message's StatusCallback URL
(``/webhooks/twilio/status?key=…``), so a callback updates that ``notifications`` row:
``provider_status``, the error code (in ``last_error``, for ``undelivered``/``failed``)
and, when Twilio gives it, the segment count. The row's own ``status`` (the dispatcher's
pending/sending/sent/failed) is not changed: the message was handed over either way.

Callbacks for one message can arrive out of order (``delivered`` before ``sent``), even
before the dispatcher has recorded the send: the most advanced status stays, and the
dispatcher's own record keeps a status a callback already wrote. A callback for another
message than the row's (its SID differs) or for an unknown key changes nothing. Error
21610 (the recipient opted out at the carrier) opts the number out
(:mod:`plaint.service.optout`). An ``undelivered`` or ``failed`` message to a resident is
sent again by email where they have an address (:mod:`plaint.service.fallback`).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from plaint.models import Notification
from plaint.service.fallback import fall_back
from plaint.service.optout import CARRIER, opt_out

__all__ = ["OPTED_OUT_ERROR", "record_status"]

logger = logging.getLogger(__name__)

OPTED_OUT_ERROR = CARRIER

# How far along each status is; a callback never moves a message back.
_RANK = {
    "accepted": 0, "scheduled": 0, "queued": 1, "sending": 2, "sent": 3,
    "undelivered": 4, "failed": 4, "delivered": 5, "receiving": 0, "received": 5,
    "read": 6, "canceled": 4, "partially_delivered": 4,
}  # fmt: skip
_FAILED = ("undelivered", "failed")


def record_status(
    session: Session,
    *,
    sid: str,
    key: str,
    status: str,
    error_code: str | None,
    recipient: str | None,
    now: datetime,
    segments: int | None = None,
) -> bool:
    """Record ``status`` (and ``error_code``, ``segments``) of message ``sid`` on the
    notification ``key``; return whether the row changed. ``recipient`` (E.164) is opted
    out on error 21610."""
    if error_code == OPTED_OUT_ERROR and recipient:
        opt_out(session, number=recipient, reason=CARRIER, now=now, confirmation_key=None)
    row = session.scalar(select(Notification).where(Notification.key == key).with_for_update())
    if row is None or (row.provider_id is not None and row.provider_id != sid):
        logger.info("twilio message %s: status for no notification of ours ignored", sid)
        return False
    if _RANK.get(status, 0) < _RANK.get(row.provider_status or "", 0):
        logger.info("twilio message %s: stale status %s ignored", sid, status)
        return False
    row.provider_id = sid
    row.provider_status, row.updated_at = status, now
    if segments is not None:
        row.segments = segments
    if status in _FAILED and error_code:
        row.last_error = f"delivery {status} (code {error_code})"
    if status in _FAILED:
        fall_back(session, key, now=now)
    return True
