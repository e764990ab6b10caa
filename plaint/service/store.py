"""Database operations shared by the actors: idempotent inbox writes, cursors, counters,
departments. Each function works inside the caller's transaction unless it says otherwise."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from plaint.channels.base import Delivery
from plaint.models import ChannelCursor, Counter, Department, Inbox, InboxStatus

__all__ = [
    "DbCursorStore",
    "StoredItem",
    "dialect_insert",
    "next_counter",
    "store_deliveries",
    "store_delivery",
    "sync_departments",
]


def dialect_insert(session: Session, table: Any) -> Any:
    """An INSERT for ``table`` in the session's dialect (with ``on_conflict_*``)."""
    dialect = session.get_bind().dialect.name
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
    creates a second row. A new row counts as enqueued at ``now``: the caller sends its
    triage message right after the commit (and calls
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
            enqueued_at=now,
            status=InboxStatus.PENDING.value,
        )
        .on_conflict_do_nothing(index_elements=["source", "external_id"])
    )
    created = session.execute(statement).rowcount == 1  # type: ignore[attr-defined]
    row = session.execute(
        select(Inbox.id, Inbox.status).where(
            Inbox.source == delivery.source, Inbox.external_id == delivery.external_id
        )
    ).one()
    return StoredItem(row.id, created, row.status == InboxStatus.PENDING)


def store_deliveries(
    session: Session, deliveries: Sequence[Delivery], *, now: datetime
) -> list[int]:
    """The batch form of :func:`store_delivery`: write each delivery unless its (source,
    external_id) is there already (or earlier in the batch), with multi-row INSERTs
    (SQLAlchemy's "insertmanyvalues"), and return the ids of the rows created, ascending.
    Rows already there are left alone and not returned. Each conflict is checked on the
    unique index, so the cost per row does not grow with the inbox."""
    unique: dict[tuple[str, str], Delivery] = {}
    for delivery in deliveries:
        unique.setdefault((delivery.source, delivery.external_id), delivery)
    if not unique:
        return []
    statement = (
        dialect_insert(session, Inbox.__table__)
        .on_conflict_do_nothing(index_elements=["source", "external_id"])
        .returning(Inbox.id)
    )
    rows = [
        {"source": d.source, "external_id": d.external_id, "channel": d.channel.value,
         "payload": d.payload, "received_at": d.received_at, "created_at": now,
         "enqueued_at": now, "status": InboxStatus.PENDING.value}
        for d in unique.values()
    ]  # fmt: skip
    return sorted(session.scalars(statement, rows))


def next_counter(session: Session, name: str) -> int:
    """Increment the counter ``name`` (created at 1) and return its new value.

    On PostgreSQL the increment commits at once in a transaction of its own, so the
    counter's row lock is held for one statement, never through the caller's transaction
    (it would serialise every triage); a value whose caller then rolls back is skipped, so
    values are unique and increasing, with gaps. On SQLite the caller's transaction
    already holds the write lock, and the increment is part of it (no gaps)."""
    statement = dialect_insert(session, Counter).values(name=name, value=1)
    statement = statement.on_conflict_do_update(
        index_elements=["name"], set_={"value": Counter.value + 1}
    ).returning(Counter.value)
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        engine = bind if isinstance(bind, Engine) else bind.engine
        with engine.begin() as connection:
            own: int = connection.execute(statement).scalar_one()
            return own
    value: int = session.execute(statement).scalar_one()
    return value


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


class DbCursorStore:
    """A :class:`~plaint.channels.base.CursorStore` in the ``channel_cursors`` table; each
    save commits its own transaction."""

    def __init__(self, sessions: sessionmaker[Session], *, clock: Callable[[], datetime]) -> None:
        self._sessions = sessions
        self._clock = clock

    def load(self, source: str) -> str | None:
        """Return the stored position of ``source`` or ``None``."""
        with self._sessions() as session:
            row = session.get(ChannelCursor, source)
            return None if row is None else row.value

    def save(self, source: str, position: str) -> None:
        """Store ``position`` for ``source`` and commit."""
        with self._sessions.begin() as session:
            row = session.get(ChannelCursor, source)
            if row is None:
                session.add(ChannelCursor(source=source, value=position, updated_at=self._clock()))
            else:
                row.value = position
                row.updated_at = self._clock()
