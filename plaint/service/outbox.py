"""The outbox dispatcher: sends due ``notifications`` rows, each exactly once as far as the
provider can tell, through the sender of its channel.

One row goes through three steps, each its own transaction or none:

1. **Claim** (one transaction for a batch): due rows — ``pending``, or ``sending`` whose
   lease ran out — are selected ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent
   dispatchers take disjoint rows and never wait for each other. On SQLite, whose
   transactions begin ``IMMEDIATE`` (:mod:`plaint.models.db`), the write lock serialises
   claims instead. Each claimed row becomes ``sending``, its attempt counted, its
   ``not_before`` moved one lease on; the commit makes the attempt durable **before** any
   send. A row whose channel has no configured sender stays ``pending`` with the reason
   and is looked at again later (it is not failed: configuring the sender sends it). An
   SMS to a number that opted out is ``failed`` with the reason ``opted_out``, unsent
   (:func:`plaint.service.optout.blocked`; the STOP confirmation itself goes).
2. **Send** (no transaction): a row claimed while ``sending`` had an attempt whose result
   was never recorded (the process died between the provider's answer and the commit):
   the sender is asked first (:meth:`~plaint.channels.outbound.Sender.find_sent`) and the
   row is resent only when the provider has no record of it.
3. **Record** (one transaction per row, so a crash loses at most the row in flight):
   ``sent`` with the provider's id and status; a TransientSendError → ``pending`` again
   after a backoff (exponential, jittered, never sooner than the provider's
   ``retry_after``), or ``failed`` once the attempts budget is spent; a
   PermanentSendError → ``failed`` at once (Twilio's 21610 also opts the number out).
   The reason is kept in ``last_error``.
   The update is guarded by the attempt it records, so a late result never overwrites a
   newer attempt's.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from plaint.channels.outbound import (
    Outgoing,
    PermanentSendError,
    Sender,
    SendResult,
    TransientSendError,
)
from plaint.config.messages import MessagesConfig, packaged_messages
from plaint.errors import NotFoundError
from plaint.models import Notification, NotificationStatus
from plaint.pipeline.backoff import compute_backoff
from plaint.service.fallback import fall_back
from plaint.service.optout import CARRIER, OPTED_OUT, blocked, opt_out_address
from plaint.service.outbox_address import address, outgoing
from plaint.service.resident_messages import QUIET, quiet_until

__all__ = ["Claim", "DispatchResult", "RetryPolicy", "claim_due", "dispatch_due", "record"]

logger = logging.getLogger(__name__)

_DUE = (NotificationStatus.PENDING.value, NotificationStatus.SENDING.value)


@dataclass(frozen=True)
class RetryPolicy:
    """How the dispatcher retries. ``lease``: how long a claimed row is left to its
    dispatcher before another takes it as in doubt (longer than a send can take);
    ``hold``: how long a row whose channel has no sender waits before it is looked at
    again."""

    max_attempts: int = 8
    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(minutes=30)
    lease: timedelta = timedelta(minutes=5)
    hold: timedelta = timedelta(minutes=5)


@dataclass(frozen=True)
class Claim:
    """A claimed row: its id, the attempt now recorded, whether an earlier attempt is in
    doubt (never recorded), and the message to send."""

    id: int
    attempts: int
    in_doubt: bool
    message: Outgoing


@dataclass(frozen=True)
class DispatchResult:
    """What one dispatcher run did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    held: int = 0

    def __add__(self, other: DispatchResult) -> DispatchResult:
        return DispatchResult(self.sent + other.sent, self.retrying + other.retrying,
                              self.failed + other.failed, self.held + other.held)  # fmt: skip


def _due_query(now: datetime, limit: int) -> Any:
    return (
        select(Notification)
        .where(Notification.status.in_(_DUE), Notification.not_before <= now)
        .order_by(Notification.not_before, Notification.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


def claim_due(
    session: Session, *, senders: Mapping[str, Sender], zone: tzinfo, now: datetime,
    limit: int, policy: RetryPolicy, messages: MessagesConfig | None = None,
) -> tuple[list[Claim], DispatchResult]:  # fmt: skip
    """Claim up to ``limit`` due rows in the caller's transaction (commit it before
    sending); return the claims and the rows held or failed on the way. A row to a
    resident in their quiet hours (``messages``; ``None``: the packaged texts and no quiet
    hours) is held until they end."""
    claims: list[Claim] = []
    held = failed = 0
    texts = messages or packaged_messages()
    for row in session.scalars(_due_query(now, limit)).all():
        later = None if messages is None else quiet_until(
            session, row, messages=messages, zone=zone, now=now)  # fmt: skip
        if later is not None:
            row.not_before, row.last_error, row.updated_at = later, QUIET, now
            held += 1
            continue
        try:
            where = address(session, row, channels=senders.keys())
            if where.held:
                _hold(row, where.channel, now=now, policy=policy)
                held += 1
                continue
            if blocked(session, channel=where.channel, address=where.address, key=row.key):
                _finish(row, NotificationStatus.FAILED, OPTED_OUT, now=now)
                failed += 1
                continue
            first = row.first_attempt_at or now
            message = outgoing(session, row, where, zone=zone, templates=texts.templates,
                               first_attempt_at=first)  # fmt: skip
        except NotFoundError as exc:
            _finish(row, NotificationStatus.FAILED, str(exc), now=now)
            failed += 1
            continue
        in_doubt = row.status == NotificationStatus.SENDING
        row.status, row.channel = NotificationStatus.SENDING.value, where.channel
        row.attempts, row.first_attempt_at = row.attempts + 1, first
        row.not_before, row.updated_at = now + policy.lease, now
        claims.append(Claim(row.id, row.attempts, in_doubt, message))
    return claims, DispatchResult(held=held, failed=failed)


def _hold(row: Notification, channel: str, *, now: datetime, policy: RetryPolicy) -> None:
    row.last_error = f"no sender configured for {channel}"
    row.not_before, row.updated_at = now + policy.hold, now


def _finish(row: Notification, status: NotificationStatus, reason: str, *, now: datetime) -> None:
    row.status, row.last_error, row.updated_at = status.value, reason[:200], now
    logger.warning("notification %s failed: %s", row.id, reason)


Outcome = SendResult | TransientSendError | PermanentSendError


def deliver(claim: Claim, sender: Sender) -> Outcome:
    """Send ``claim``'s message (after asking the provider, when in doubt); return what
    happened. Any other exception from a sender counts as transient (by its class name)."""
    try:
        if claim.in_doubt:
            found = sender.find_sent(claim.message)
            if found is not None:
                logger.info("notification %s: found sent earlier, not resent", claim.id)
                return found
            logger.warning("notification %s: earlier attempt unrecorded, resending", claim.id)
        return sender.send(claim.message)
    except (TransientSendError, PermanentSendError) as exc:
        return exc
    except Exception as exc:  # a sender's bug must not stop the other rows
        logger.exception("notification %s: sender %s raised", claim.id, sender.channel)
        return TransientSendError(f"sender error ({type(exc).__name__})")


def record(
    session: Session, claim: Claim, outcome: Outcome, *, now: datetime, policy: RetryPolicy,
    jitter: float,
) -> NotificationStatus | None:  # fmt: skip
    """Record ``outcome`` of ``claim``'s attempt; return the row's new status, or ``None``
    when the row has moved on (another dispatcher took it after the lease)."""
    values: dict[str, Any] = {"updated_at": now}
    if isinstance(outcome, SendResult):
        status = NotificationStatus.SENT
        # A status callback may have come first: its (later) status stays.
        values.update(sent_at=now, provider_id=outcome.provider_id, last_error=None,
                      provider_status=func.coalesce(Notification.provider_status,
                                                    outcome.status),
                      segments=outcome.segments)  # fmt: skip
    elif isinstance(outcome, PermanentSendError):
        status = NotificationStatus.FAILED
        code = f" (code {outcome.code})" if outcome.code else ""
        reason = outcome.reason
        if outcome.code == CARRIER and claim.message.channel == "sms":
            opt_out_address(session, address=claim.message.recipient, now=now)
            reason = OPTED_OUT
        values["last_error"] = f"{reason}{code}"[:200]
    elif claim.attempts >= policy.max_attempts:
        status = NotificationStatus.FAILED
        values["last_error"] = f"gave up after {claim.attempts} attempts: {outcome.reason}"[:200]
    else:
        status = NotificationStatus.PENDING
        after = None if outcome.retry_after is None else timedelta(seconds=outcome.retry_after)
        wait = compute_backoff(claim.attempts, base=policy.base, cap=policy.cap, jitter=jitter,
                               retry_after=after)  # fmt: skip
        values.update(last_error=outcome.reason[:200], not_before=now + wait)
    done = session.execute(
        update(Notification)
        .where(Notification.id == claim.id, Notification.attempts == claim.attempts,
               Notification.status == NotificationStatus.SENDING.value)
        .values(status=status.value, **values)
    )  # fmt: skip
    if done.rowcount == 0:  # type: ignore[attr-defined]
        logger.warning("notification %s: attempt %s not recorded, the row moved on",
                       claim.id, claim.attempts)  # fmt: skip
        return None
    if status is NotificationStatus.FAILED:
        logger.warning("notification %s failed: %s", claim.id, values["last_error"])
        if isinstance(outcome, PermanentSendError):
            fall_back(session, claim.message.key, now=now)
    return status


_TALLY = {
    NotificationStatus.SENT: DispatchResult(sent=1),
    NotificationStatus.PENDING: DispatchResult(retrying=1),
    NotificationStatus.FAILED: DispatchResult(failed=1),
}


def dispatch_due(
    sessions: sessionmaker[Session],
    *,
    senders: Mapping[str, Sender],
    zone: tzinfo,
    clock: Callable[[], datetime],
    policy: RetryPolicy = RetryPolicy(),
    batch: int = 20,
    budget: timedelta = timedelta(seconds=60),
    jitter: Callable[[], float] = random.random,
    messages: MessagesConfig | None = None,
    observe: Callable[[str, NotificationStatus], None] | None = None,
) -> DispatchResult:
    """Claim, send and record due rows in batches of ``batch`` until none is due or
    ``budget`` of wall time is spent (the clock starts another run soon); return the
    tally. ``observe(channel, status)`` is told each recorded attempt's outcome (metrics).
    Blocks on the senders' network calls."""
    total = DispatchResult()
    deadline = time.monotonic() + budget.total_seconds()
    while time.monotonic() < deadline:
        with sessions.begin() as session:
            claims, tally = claim_due(session, senders=senders, zone=zone, now=clock(),
                                      limit=batch, policy=policy, messages=messages)  # fmt: skip
        total += tally
        for claim in claims:
            outcome = deliver(claim, senders[claim.message.channel])
            with sessions.begin() as session:
                status = record(session, claim, outcome, now=clock(), policy=policy,
                                jitter=jitter())  # fmt: skip
            total += _TALLY[status] if status is not None else DispatchResult()
            if status is not None and observe is not None:
                observe(claim.message.channel, status)
        if not claims and not tally.held and not tally.failed:
            break
    return total
