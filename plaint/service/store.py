"""Database operations shared by the actors: idempotent inbox writes, cursors, counters,
departments. Each function works inside the caller's transaction unless it says otherwise."""

from __future__ import annotations

import functools
import threading
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, bindparam, insert, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, make_transient_to_detached, sessionmaker

from plaint.channels.base import Delivery
from plaint.models import (
    ChannelCursor,
    Counter,
    Department,
    Inbox,
    InboxStatus,
    Message,
    SlaClockEvent,
    Ticket,
    read_session_factory,
)
from plaint.service.events import write_events

__all__ = [
    "DbCursorStore",
    "SessionCursors",
    "StoredItem",
    "department_ref",
    "dialect_insert",
    "next_counter",
    "save_cursor",
    "store_deliveries",
    "store_delivery",
    "sync_departments",
    "write_ticket",
]


def dialect_insert(session: Session, table: Any) -> Any:
    """An INSERT for ``table`` in the session's dialect (with ``on_conflict_*``)."""
    return _insert_in(session.get_bind().dialect.name, table)


def _insert_in(dialect: str, table: Any) -> Any:
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"database dialect {dialect!r} is not supported")


@dataclass(frozen=True)
class StoredItem:
    """An inbox row after :func:`store_delivery`: ``created`` is false for a redelivery;
    ``pending`` is true while the row still awaits triage (so enqueue it again: triage is
    idempotent)."""

    inbox_id: int
    created: bool
    pending: bool


def store_delivery(session: Session, delivery: Delivery, *, now: datetime) -> StoredItem:
    """Write ``delivery`` to the inbox unless (source, external_id) is there already; never
    creates a second row. A delivery with a ``quarantine`` reason is stored quarantined
    (not pending: nothing to enqueue). A new pending row counts as enqueued at ``now``: the
    caller sends its triage message right after the commit (and calls
    :func:`plaint.service.retry.mark_unqueued` if that fails)."""
    statement = (
        dialect_insert(session, Inbox)
        .values(
            source=delivery.source,
            external_id=delivery.external_id,
            channel=delivery.channel.value,
            payload=delivery.payload,
            received_at=delivery.received_at,
            created_at=now,
            **_state(delivery, now=now),
        )
        .on_conflict_do_nothing(index_elements=["source", "external_id"])
        .returning(Inbox.id)
    )
    inbox_id = session.execute(statement).scalar()
    if inbox_id is not None:  # a new row: one statement
        return StoredItem(inbox_id, created=True, pending=delivery.quarantine is None)
    row = session.execute(
        select(Inbox.id, Inbox.status).where(
            Inbox.source == delivery.source, Inbox.external_id == delivery.external_id
        )
    ).one()
    return StoredItem(row.id, created=False, pending=row.status == InboxStatus.PENDING)


def store_deliveries(
    session: Session, deliveries: Sequence[Delivery], *, now: datetime
) -> list[int]:
    """The batch form of :func:`store_delivery`: write each delivery unless its (source,
    external_id) is there already (or earlier in the batch), with multi-row INSERTs
    (SQLAlchemy's "insertmanyvalues"), and return the ids of the rows created, ascending.
    For deliveries without a ``quarantine`` reason (store those with :func:`store_delivery`).
    Rows already there are left alone and not returned. Each conflict is checked on the
    unique index, so the cost per row does not grow with the inbox."""
    unique: dict[tuple[str, str], Delivery] = {}
    for delivery in deliveries:
        if delivery.quarantine is not None:
            raise ValueError("store a delivery to quarantine with store_delivery")
        unique.setdefault((delivery.source, delivery.external_id), delivery)
    if not unique:
        return []
    statement = _insert_new_rows(session.get_bind().dialect.name)
    rows = [
        {"source": d.source, "external_id": d.external_id, "channel": d.channel.value,
         "payload": d.payload, "received_at": d.received_at, "created_at": now,
         **_state(d, now=now)}
        for d in unique.values()
    ]  # fmt: skip
    return sorted(session.scalars(statement, rows))


@functools.cache
def _insert_new_rows(dialect: str) -> Any:
    """The INSERT of inbox rows that skips those already there, built once per dialect."""
    return (
        _insert_in(dialect, Inbox.__table__)
        .on_conflict_do_nothing(index_elements=["source", "external_id"])
        .returning(Inbox.id)
    )


# The widest reason inbox.error holds.
_MAX_REASON = 200


def _state(delivery: Delivery, *, now: datetime) -> dict[str, Any]:
    """A new row's status columns: pending (counted as enqueued at ``now``), or quarantined
    with the adapter's reason (see :class:`Delivery`), never to be triaged. Columns left
    NULL are left out (fewer parameters for the batch INSERT to process)."""
    if delivery.quarantine is None:
        return {"status": InboxStatus.PENDING.value, "enqueued_at": now}
    return {"status": InboxStatus.QUARANTINED.value,
            "error": delivery.quarantine[:_MAX_REASON], "processed_at": now}  # fmt: skip


def next_counter(session: Session, name: str) -> int:
    """Increment the counter ``name`` (created at 1) and return its new value.

    On PostgreSQL the increment commits at once in a transaction of its own, so the
    counter's row lock is held for one statement, never through the caller's transaction
    (it would serialise every triage); a value whose caller then rolls back is skipped, so
    values are unique and increasing, with gaps. On SQLite the caller's transaction
    already holds the write lock, and the increment is part of it (no gaps)."""
    dialect = session.get_bind().dialect.name
    statement = _increment(dialect)
    if dialect == "postgresql":
        # One statement in autocommit: its own transaction, without BEGIN and COMMIT trips.
        with _engine(session).connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT")
            own: int = connection.execute(statement, {"name": name}).scalar_one()
            return own
    value: int = session.execute(statement, {"name": name}).scalar_one()
    return value


@functools.cache
def _increment(dialect: str) -> Any:
    """The upsert that increments counter ``:name``, built once per dialect."""
    return (
        _insert_in(dialect, Counter)
        .values(name=bindparam("name"), value=1)
        .on_conflict_do_update(index_elements=["name"], set_={"value": Counter.value + 1})
        .returning(Counter.value)
    )


def _engine(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


# Per engine, department code -> (id, name). Departments are only ever added or renamed,
# never deleted, so an id once read stays true; a code not yet known reloads them all.
_departments: weakref.WeakKeyDictionary[Engine, dict[str, tuple[int, str]]] = (
    weakref.WeakKeyDictionary()
)
_departments_lock = threading.Lock()


def department_ref(session: Session, code: str) -> Department | None:
    """Return the department ``code``, detached (in no session), or ``None`` if there is no
    such department. Reads the database only the first time this process (this engine)
    meets an unknown code; otherwise the row comes from a per-process cache of ids, so its
    ``name`` may lag a rename made since (only the id and code are to be relied on)."""
    engine = _engine(session)
    with _departments_lock:
        entry = _departments.get(engine, {}).get(code)
    if entry is None:
        rows = session.execute(select(Department.code, Department.id, Department.name)).all()
        known = {row.code: (row.id, row.name) for row in rows}
        with _departments_lock:
            _departments[engine] = known
        entry = known.get(code)
        if entry is None:
            return None
    department = Department(id=entry[0], code=code, name=entry[1])
    make_transient_to_detached(department)
    return department


_TICKET_COLUMNS = frozenset(c.key for c in Ticket.__table__.columns) - {"id"}
_INSERT_TICKET = insert(Ticket).returning(Ticket.id)
_INSERT_MESSAGE = insert(Message)
# RETURNING: one multi-row INSERT for all the rows (see plaint.service.events).
_INSERT_CLOCK_EVENT = insert(SlaClockEvent).returning(SlaClockEvent.id)


def write_ticket(session: Session, draft: Ticket, *, messages: list[dict[str, Any]]) -> int:
    """Insert the new ticket ``draft`` — built outside the session, its foreign keys
    (``department_id``, ``resident_id``) set — with its ``events`` and ``clock_events``
    and the ``messages`` (column values, without ``ticket_id``), in one statement per
    table of the caller's transaction; set ``draft.id`` and return it. The draft stays out
    of the session: nothing is written twice, and no UPDATE follows."""
    values = {k: v for k, v in inspect(draft).dict.items() if k in _TICKET_COLUMNS}
    connection = session.connection()
    ticket_id: int = connection.execute(_INSERT_TICKET, values).scalar_one()
    draft.id = ticket_id
    connection.execute(_INSERT_MESSAGE, [{**m, "ticket_id": ticket_id} for m in messages])
    write_events(session, ticket_id, draft.events)
    clocks = [{"ticket_id": ticket_id, "clock": e.clock, "kind": e.kind, "at": e.at,
               "actor": e.actor} for e in draft.clock_events]  # fmt: skip
    if clocks:
        connection.execute(_INSERT_CLOCK_EVENT, clocks)
    return ticket_id


def sync_departments(session: Session, departments: Iterable[Any]) -> None:
    """Create or rename departments to match the configuration; never deletes one (old
    tickets keep their owner)."""
    existing = {d.code: d for d in session.scalars(select(Department))}
    for department in departments:
        row = existing.get(department.code)
        if row is None:
            session.add(Department(code=department.code, name=department.name))
        elif row.name != department.name:
            row.name = department.name


def save_cursor(session: Session, source: str, position: str, *, now: datetime) -> None:
    """Store ``position`` for ``source`` in the caller's transaction: one upsert."""
    session.execute(_upsert_cursor(session.get_bind().dialect.name),
                    {"source": source, "value": position, "updated_at": now})  # fmt: skip


@functools.cache
def _upsert_cursor(dialect: str) -> Any:
    """The upsert of one ``channel_cursors`` row, built once per dialect."""
    statement = _insert_in(dialect, ChannelCursor)
    return statement.on_conflict_do_update(
        index_elements=["source"],
        set_={"value": statement.excluded.value, "updated_at": statement.excluded.updated_at},
    )


class SessionCursors:
    """A :class:`~plaint.channels.base.CursorStore` inside one open transaction: a save
    becomes durable when, and only if, the caller's transaction commits (with whatever
    else it wrote, e.g. the inbox rows of the items the position moves past)."""

    def __init__(self, session: Session, *, now: datetime) -> None:
        self._session, self._now = session, now

    def load(self, source: str) -> str | None:
        """Return the position of ``source`` as this transaction sees it, or ``None``."""
        value: str | None = self._session.scalar(
            select(ChannelCursor.value).where(ChannelCursor.source == source)
        )
        return value

    def save(self, source: str, position: str) -> None:
        """Write ``position`` for ``source`` into the transaction (not committed here)."""
        save_cursor(self._session, source, position, now=self._now)


class DbCursorStore:
    """A :class:`~plaint.channels.base.CursorStore` in the ``channel_cursors`` table; each
    save commits its own transaction. Loads are read-only transactions (on SQLite they
    begin deferred, so a poller never queues behind triage for its position)."""

    def __init__(self, sessions: sessionmaker[Session], *, clock: Callable[[], datetime]) -> None:
        self._sessions = sessions
        bind = sessions.kw["bind"]
        self._reads = read_session_factory(bind if isinstance(bind, Engine) else bind.engine)
        self._clock = clock

    def load(self, source: str) -> str | None:
        """Return the stored position of ``source`` or ``None``."""
        with self._reads() as session:
            value: str | None = session.scalar(
                select(ChannelCursor.value).where(ChannelCursor.source == source)
            )
            return value

    def save(self, source: str, position: str) -> None:
        """Store ``position`` for ``source`` and commit."""
        with self._sessions.begin() as session:
            save_cursor(session, source, position, now=self._clock())
