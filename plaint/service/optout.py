"""SMS opt-out: STOP / UNSUBSCRIBE / 退订 / TD stop messages to a number, START / 订阅
resume them, and Twilio's error 21610 (the carrier says the number opted out) stops them.

The outbox dispatcher asks :func:`blocked` before each SMS: a notification to an opted-out
number is not sent but ``failed`` with the reason ``opted_out`` (visible in ``plaint
outbox list --status failed``; ``plaint outbox retry ID`` after a START sends it). The
answer to a STOP is the one message still allowed: its notification key is kept on the
opt-out row. A send Twilio refuses with 21610 opts the number out
(:func:`opt_out_address`).
Confirmations are outbox rows (template ``sms_opted_out`` / ``sms_opted_in``,
``recipient_kind = "phone"``, recipient the E.164 number), keyed by the inbox row of the
keyword, so a keyword redelivered or triaged twice confirms once.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from plaint.errors import MalformedMessageError
from plaint.inbound import ChannelKind, InboundMessage
from plaint.models import Notification, SmsOptOut
from plaint.pipeline.contacts import normalise_phone
from plaint.pipeline.smstext import KeywordAction, keyword_action
from plaint.service.store import dialect_insert

__all__ = [
    "CARRIER",
    "OPTED_OUT",
    "blocked",
    "handle_keyword",
    "is_opted_out",
    "opt_in",
    "opt_out",
    "opt_out_address",
]

logger = logging.getLogger(__name__)

# The reasons an opt-out row records; CARRIER is also Twilio's error code for it.
KEYWORD, CARRIER = "keyword", "21610"
# The reason an outbox row is failed with when its number opted out.
OPTED_OUT = "opted_out"


def is_opted_out(session: Session, number: str, *, key: str | None = None) -> bool:
    """Whether nothing may be sent to ``number`` (E.164) now. The notification ``key`` that
    confirms the opt-out itself is let through."""
    row = session.get(SmsOptOut, number)
    return row is not None and (key is None or key != row.confirmation_key)


def blocked(session: Session, *, channel: str, address: str, key: str) -> bool:
    """Whether notification ``key`` must not go to ``address`` on ``channel``: an SMS to
    a number that opted out, unless it is that opt-out's confirmation. An address that is
    no phone number is not blocked here (the sender refuses it as ``bad_phone``)."""
    if channel != "sms":
        return False
    try:
        number = normalise_phone(address)
    except MalformedMessageError:
        return False
    return is_opted_out(session, number, key=key)


def opt_out_address(session: Session, *, address: str, now: datetime) -> None:
    """Opt ``address`` out because Twilio refused a message to it with error 21610."""
    try:
        number = normalise_phone(address)
    except MalformedMessageError:
        return
    if opt_out(session, number=number, reason=CARRIER, now=now, confirmation_key=None):
        logger.info("a number opted out at the carrier (twilio 21610)")


def opt_out(
    session: Session, *, number: str, reason: str, now: datetime, confirmation_key: str | None
) -> bool:
    """Record that ``number`` opted out; return whether it was not opted out before (an
    existing row, and its confirmation key, stay as they were)."""
    statement = (
        dialect_insert(session, SmsOptOut)
        .values(phone=number, reason=reason, opted_out_at=now, confirmation_key=confirmation_key)
        .on_conflict_do_nothing(index_elements=["phone"])
        .returning(SmsOptOut.phone)
    )
    return session.execute(statement).scalar() is not None


def opt_in(session: Session, *, number: str) -> bool:
    """Let messages go to ``number`` again; return whether it had opted out."""
    result = session.execute(
        delete(SmsOptOut).where(SmsOptOut.phone == number).returning(SmsOptOut.phone)
    )
    return result.scalar() is not None


def handle_keyword(
    session: Session, message: InboundMessage, *, inbox_id: int, now: datetime
) -> bool:
    """If ``message`` is an SMS that is only an opt-out or opt-in keyword, act on it, queue
    its one confirmation when the state changed, and return True (it is not a complaint);
    otherwise change nothing and return False."""
    action = keyword_action(message.body) if message.channel is ChannelKind.SMS else None
    if action is None:
        return False
    number = message.sender
    if action is KeywordAction.STOP:
        key, template = f"sms_opted_out:{inbox_id}", "sms_opted_out"
        changed = opt_out(session, number=number, reason=KEYWORD, now=now, confirmation_key=key)
    else:
        key, template = f"sms_opted_in:{inbox_id}", "sms_opted_in"
        changed = opt_in(session, number=number)
    if changed and session.scalar(select(Notification.id).where(Notification.key == key)) is None:
        session.add(
            Notification(
                key=key, recipient_kind="phone", recipient=number, template=template,
                data={}, urgent=True, not_before=now, created_at=now,
            )
        )  # fmt: skip
    logger.info("inbox %s: sms keyword %s (changed: %s)", inbox_id, action.value, changed)
    return True
