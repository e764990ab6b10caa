"""Every failure has an end: what happens when the triage of an inbox row fails, and how
rows whose triage message was lost are found again.

- :func:`is_transient` tells a failure worth retrying (the database or Redis unreachable,
  a lock timeout, a serialization failure or deadlock) from one that is not (a bug, a
  payload nobody can parse, a department missing from the database). Races on unique keys
  are not transient: triage designs them away with upserts and locks, so one that happens
  is a bug to see, not to retry.
- :func:`record_failure` counts the attempt on the row and quarantines it with a reason
  at once for a failure that is not transient, or when the transient ones have used up
  the budget; otherwise it asks the caller to retry. A quarantined row is never retried
  again until someone replays it (``plaint inbox replay``).
- :func:`claim_unqueued` is the reconciler's scan: pending rows whose message was never
  sent, or sent longer ago than the lease, oldest first, each claimed for one new message
  (so two reconciler passes never start two chains for one row).

Reasons carry exception class names and constraint names only — never an exception's
text, which for a database error can quote residents' phone numbers or complaint text.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker

from plaint.errors import TransientError
from plaint.models import Inbox, InboxStatus
from plaint.service.store import StoredItem

__all__ = [
    "FailureOutcome",
    "claim_unqueued",
    "enqueue_stored",
    "failure_reason",
    "is_transient",
    "mark_unqueued",
    "record_failure",
]

logger = logging.getLogger(__name__)

# PostgreSQL SQLSTATEs worth retrying: serialization failure, deadlock, lock not available,
# query canceled (lock_timeout / statement_timeout), and the connection exception class.
_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03", "57014"})
_TRANSIENT_SQLSTATE_CLASSES = ("08", "53", "57P")


class FailureOutcome(enum.StrEnum):
    """What :func:`record_failure` decided."""

    RETRY = "retry"
    QUARANTINED = "quarantined"
    GONE = "gone"  # the row is no longer pending (done meanwhile, or does not exist)


def _sqlstate(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None)
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return state if isinstance(state, str) else None


def is_transient(exc: BaseException) -> bool:
    """Whether retrying the same work later may succeed."""
    if isinstance(exc, TransientError | PoolTimeoutError):
        return True
    if _redis_unavailable(exc):
        return True
    if isinstance(exc, DBAPIError):
        state = _sqlstate(exc)
        if state is not None:
            return state in _TRANSIENT_SQLSTATES or state.startswith(_TRANSIENT_SQLSTATE_CLASSES)
        # SQLite: "database is locked" and I/O trouble are OperationalErrors.
        return isinstance(exc, OperationalError) or exc.connection_invalidated
    return False


def _redis_unavailable(exc: BaseException) -> bool:
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # pragma: no cover - redis is a dependency
        return False
    return isinstance(exc, RedisConnectionError | RedisTimeoutError)


def failure_reason(exc: BaseException) -> str:
    """A short reason for ``exc`` that is safe to store and log: the class name, and for a
    database error the SQLSTATE and constraint name — never the message."""
    reason = f"error:{type(exc).__name__}"
    if isinstance(exc, DBAPIError):
        orig = exc.orig
        reason = f"error:{type(orig).__name__}"
        state = _sqlstate(exc)
        if state:
            reason += f" sqlstate={state}"
        constraint = getattr(getattr(orig, "diag", None), "constraint_name", None)
        if constraint:
            reason += f" constraint={constraint}"
    return reason[:200]


def record_failure(
    session: Session, inbox_id: int, exc: BaseException, *, now: datetime, budget: int
) -> FailureOutcome:
    """Count a failed triage of ``inbox_id`` (in the caller's new transaction, the failed
    one having been rolled back) and decide: quarantine now, or retry. ``budget`` is the
    number of attempts a transient failure may take before the row is quarantined."""
    row = session.get(Inbox, inbox_id, with_for_update=True)
    if row is None or row.status != InboxStatus.PENDING:
        return FailureOutcome.GONE
    row.attempts = (row.attempts or 0) + 1
    reason = failure_reason(exc)
    transient = is_transient(exc)
    row.error = reason
    if transient and row.attempts < budget:
        logger.warning("inbox %s triage attempt %d failed (%s); will retry",
                       inbox_id, row.attempts, reason)  # fmt: skip
        return FailureOutcome.RETRY
    row.status = InboxStatus.QUARANTINED
    row.processed_at = now
    if transient:
        row.error = f"{reason} after {row.attempts} attempts"[:200]
    logger.error("inbox %s quarantined: %s", inbox_id, row.error)
    return FailureOutcome.QUARANTINED


def claim_unqueued(
    session: Session, *, now: datetime, grace: timedelta, lease: timedelta, limit: int
) -> list[int]:
    """Claim up to ``limit`` pending rows to enqueue again, oldest first, and return their
    ids: rows never enqueued and older than ``grace``, and rows enqueued longer than
    ``lease`` ago (their message was lost with Redis). Each claimed row's ``enqueued_at``
    becomes ``now``, so the next pass skips it until the lease runs out again."""
    stale = or_(
        Inbox.enqueued_at < now - lease,
        (Inbox.enqueued_at.is_(None)) & (Inbox.created_at < now - grace),
    )
    candidates = (
        select(Inbox.id)
        .where(Inbox.status == InboxStatus.PENDING, stale)
        .order_by(Inbox.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    ids = list(session.scalars(candidates))
    if ids:
        session.execute(update(Inbox).where(Inbox.id.in_(ids)).values(enqueued_at=now))
    return ids


def enqueue_stored(
    sessions: sessionmaker[Session], item: StoredItem, *, enqueue: Callable[[int], None] | None
) -> None:
    """Send the triage of ``item`` — stored by a transaction that has committed — when it
    still awaits triage. A failed send (or no ``enqueue`` at all: no broker configured) is
    not the caller's problem: the row is marked unqueued and the inbox reconciler sends it
    after its grace period."""
    if not item.pending:
        return
    if enqueue is None:
        logger.info("inbox %s stored; no broker: the reconciler sends it", item.inbox_id)
    else:
        try:
            enqueue(item.inbox_id)
            return
        except Exception:  # any broker failure: the reconciler resends the row
            logger.warning("inbox %s stored but not enqueued", item.inbox_id)
    with sessions.begin() as session:
        mark_unqueued(session, [item.inbox_id])


def mark_unqueued(session: Session, inbox_ids: list[int]) -> None:
    """Forget that ``inbox_ids`` were enqueued (the send failed): the reconciler takes
    them after its grace period instead of waiting out the lease."""
    if inbox_ids:
        session.execute(update(Inbox).where(Inbox.id.in_(inbox_ids)).values(enqueued_at=None))
