"""The inbox as operators see it: what is pending, done or quarantined, one row's fields,
and putting quarantined rows back (the dead-letter view).

Replay rules: only a *quarantined* row can be replayed (a pending row is already waiting
for triage, a done row became a ticket or message). Replaying sets it pending again,
clears ``processed_at``, resets ``attempts`` to 0 (so a retry budget counted on it starts
afresh) and keeps the record in ``error``: ``replayed 2026-11-02 09:30Z (was: <reason>)``,
which stays on the row after triage succeeds and is replaced by the new reason if it is
quarantined again. (The schema has no replay column; a ``replayed_at``/``replays`` pair
would keep the history even then.)
Rows are replayed in batches of :data:`REPLAY_BATCH`, one transaction each, and their
triage is enqueued after each commit.

Enqueueing (here and in :mod:`plaint.service.fileintake`) goes through a callable
``enqueue(inbox_id)``, or ``None`` when the process has no queue. An ``enqueue`` that
raises :class:`~plaint.errors.TransientError` (the queue is unreachable) stops the
sending; the rows stay pending and the reconciler of ``plaint run`` / ``plaint clock``
triages pending rows older than a minute, so nothing is lost either way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from plaint.errors import NotFoundError, TransientError
from plaint.models import Inbox, InboxStatus, Message, Ticket
from plaint.service.retry import mark_unqueued

__all__ = [
    "REPLAYABLE",
    "REPLAY_BATCH",
    "Enqueue",
    "InboxDetail",
    "InboxPage",
    "InboxRow",
    "QueueOutcome",
    "Refusal",
    "ReplayResult",
    "TriageSender",
    "inbox_detail",
    "inbox_payload",
    "list_inbox",
    "replay",
    "replay_quarantined",
]

logger = logging.getLogger(__name__)

# The statuses an operator may put back to pending.
REPLAYABLE = (InboxStatus.QUARANTINED,)
# Rows replayed per transaction.
REPLAY_BATCH = 500
_MAX_ERROR = 200  # the width of inbox.error

# Sends the triage of one inbox row; None when the process has no queue.
Enqueue = Callable[[int], None] | None


@dataclass(frozen=True)
class QueueOutcome:
    """What became of the triage of rows an operation left pending: ``configured`` is
    false when there is no queue; ``enqueued`` rows were sent; ``waiting`` rows were not
    and stay pending for the reconciler; ``error`` says why sending stopped, if it did."""

    configured: bool
    enqueued: int
    waiting: int
    error: str | None


class TriageSender:
    """Enqueues triage through ``enqueue`` until it raises TransientError; from then on (or
    with no queue at all) counts the rows left waiting and marks them never enqueued, so
    the reconciler takes them after its grace period. Not thread-safe."""

    def __init__(self, enqueue: Enqueue, sessions: sessionmaker[Session]) -> None:
        self._enqueue = enqueue
        self._sessions = sessions
        self._sent = self._waiting = 0
        self._error: str | None = None

    def send(self, inbox_ids: Sequence[int]) -> None:
        """Enqueue the triage of ``inbox_ids`` (rows already committed); never raises
        TransientError."""
        for position, inbox_id in enumerate(inbox_ids):
            if self._enqueue is None or self._error is not None:
                self._left_waiting(inbox_ids[position:])
                return
            try:
                self._enqueue(inbox_id)
            except TransientError as exc:
                self._error = str(exc)
                self._left_waiting(inbox_ids[position:])
                logger.info("triage not enqueued from inbox %s on: %s", inbox_id, exc)
                return
            self._sent += 1

    def _left_waiting(self, inbox_ids: Sequence[int]) -> None:
        self._waiting += len(inbox_ids)
        with self._sessions.begin() as session:
            mark_unqueued(session, list(inbox_ids))

    def outcome(self) -> QueueOutcome:
        """The counts so far."""
        return QueueOutcome(self._enqueue is not None, self._sent, self._waiting, self._error)


@dataclass(frozen=True)
class InboxRow:
    """An inbox row as listed: its state, never its content (``reason`` is a code)."""

    id: int
    source: str
    channel: str
    status: str
    attempts: int
    received_at: datetime
    processed_at: datetime | None
    reason: str | None


@dataclass(frozen=True)
class InboxPage:
    """Up to ``limit`` rows, newest first, and how many rows match in all."""

    rows: tuple[InboxRow, ...]
    total: int


@dataclass(frozen=True)
class InboxDetail:
    """One row with its external id, when it was stored, the payload's size in bytes and
    the number of the ticket its message belongs to (``None`` if it became none)."""

    row: InboxRow
    external_id: str
    created_at: datetime
    size: int
    ticket_number: str | None


def _row(inbox: Inbox) -> InboxRow:
    return InboxRow(
        id=inbox.id, source=inbox.source, channel=inbox.channel, status=inbox.status,
        attempts=inbox.attempts, received_at=inbox.received_at,
        processed_at=inbox.processed_at, reason=inbox.error,
    )  # fmt: skip


def list_inbox(
    session: Session, *, status: InboxStatus | None = None, source: str | None = None, limit: int
) -> InboxPage:
    """Return the newest stored rows (highest id first) matching ``status`` and
    ``source`` (either may be ``None`` for all), at most ``limit``, with the total."""
    conditions = []
    if status is not None:
        conditions.append(Inbox.status == status)
    if source is not None:
        conditions.append(Inbox.source == source)
    total = session.scalar(select(func.count()).select_from(Inbox).where(*conditions)) or 0
    rows = session.scalars(
        select(Inbox).where(*conditions).order_by(Inbox.id.desc()).limit(max(limit, 0))
    )
    return InboxPage(rows=tuple(_row(r) for r in rows), total=total)


def _get(session: Session, inbox_id: int) -> Inbox:
    row = session.get(Inbox, inbox_id)
    if row is None:
        raise NotFoundError(f"no inbox row {inbox_id}")
    return row


def inbox_detail(session: Session, inbox_id: int) -> InboxDetail:
    """Return the fields of inbox row ``inbox_id``; raise NotFoundError if there is none."""
    row = _get(session, inbox_id)
    number = session.scalar(
        select(Ticket.number).join(Message, Message.ticket_id == Ticket.id)
        .where(Message.inbox_id == inbox_id)
    )  # fmt: skip
    return InboxDetail(
        row=_row(row), external_id=row.external_id, created_at=row.created_at,
        size=len(row.payload), ticket_number=number,
    )  # fmt: skip


def inbox_payload(session: Session, inbox_id: int) -> bytes:
    """Return the raw payload of inbox row ``inbox_id`` exactly as it arrived; raise
    NotFoundError if there is none."""
    return bytes(_get(session, inbox_id).payload)


@dataclass(frozen=True)
class Refusal:
    """An inbox row that was not replayed, and why (no content)."""

    inbox_id: int
    reason: str


@dataclass(frozen=True)
class ReplayResult:
    """The rows put back to pending, those refused, and what became of their triage."""

    replayed: tuple[int, ...]
    refused: tuple[Refusal, ...]
    queue: QueueOutcome


def _replay_rows(session: Session, inbox_ids: Iterable[int], *, now: datetime) -> list[int]:
    """Set the replayable rows among ``inbox_ids`` pending (see the module docstring) and
    return their ids; rows in any other state are left alone."""
    was = func.coalesce(Inbox.error, "unknown")
    note = f"replayed {now.astimezone(UTC):%Y-%m-%d %H:%M}Z (was: "
    statement = (
        update(Inbox)
        .where(Inbox.id.in_(list(inbox_ids)), Inbox.status.in_(REPLAYABLE))
        .values(
            status=InboxStatus.PENDING,
            processed_at=None,
            enqueued_at=now,
            attempts=0,
            error=func.substr(note + was + ")", 1, _MAX_ERROR),
        )
        .returning(Inbox.id)
        .execution_options(synchronize_session=False)
    )
    replayed = sorted(session.scalars(statement))
    for inbox_id in replayed:
        logger.info("inbox %s replayed", inbox_id)
    return replayed


def _refusals(session: Session, inbox_ids: Sequence[int]) -> list[Refusal]:
    found = dict(
        session.execute(select(Inbox.id, Inbox.status).where(Inbox.id.in_(inbox_ids))).all()
    )
    numbers = dict(
        session.execute(
            select(Message.inbox_id, Ticket.number).join(Ticket, Message.ticket_id == Ticket.id)
            .where(Message.inbox_id.in_(inbox_ids))
        ).all()
    )  # fmt: skip
    refusals = []
    for inbox_id in inbox_ids:
        status = found.get(inbox_id)
        if status is None:
            reason = "no such inbox row"
        elif status == InboxStatus.PENDING:
            reason = "it is pending: already waiting for triage"
        elif inbox_id in numbers:
            reason = f"it is {status}: already in ticket {numbers[inbox_id]}"
        else:
            reason = f"it is {status}, not quarantined"
        refusals.append(Refusal(inbox_id, reason))
    return refusals


def replay(
    sessions: sessionmaker[Session], inbox_ids: Sequence[int], *, enqueue: Enqueue, now: datetime
) -> ReplayResult:
    """Replay the quarantined rows among ``inbox_ids`` (module docstring) and enqueue their
    triage after each batch commits; every other id is refused with a reason."""
    sender = TriageSender(enqueue, sessions)
    wanted = list(dict.fromkeys(inbox_ids))
    replayed: list[int] = []
    refused: list[Refusal] = []
    for start in range(0, len(wanted), REPLAY_BATCH):
        chunk = wanted[start : start + REPLAY_BATCH]
        with sessions.begin() as session:
            done = _replay_rows(session, chunk, now=now)
            left = set(chunk) - set(done)
            refused += _refusals(session, [i for i in chunk if i in left])
        sender.send(done)
        replayed += done
    return ReplayResult(tuple(replayed), tuple(refused), sender.outcome())


def replay_quarantined(
    sessions: sessionmaker[Session],
    *,
    enqueue: Enqueue,
    now: datetime,
    batch: int = REPLAY_BATCH,
) -> ReplayResult:
    """Replay every row quarantined when the call starts, in batches of ``batch``, and
    enqueue their triage after each commit. A row quarantined again while this runs is
    not picked up a second time (the walk goes up the ids once)."""
    sender = TriageSender(enqueue, sessions)
    replayed: list[int] = []
    after = 0
    with sessions() as session:
        last = session.scalar(select(func.max(Inbox.id))) or 0
    while True:
        with sessions.begin() as session:
            ids = session.scalars(
                select(Inbox.id)
                .where(Inbox.status.in_(REPLAYABLE), Inbox.id > after, Inbox.id <= last)
                .order_by(Inbox.id)
                .limit(batch)
            ).all()
            if not ids:
                break
            done = _replay_rows(session, ids, now=now)
        after = ids[-1]
        sender.send(done)
        replayed += done
    return ReplayResult(tuple(replayed), (), sender.outcome())
