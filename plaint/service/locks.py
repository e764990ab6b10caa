"""Transaction-scoped locks on exactly the scope a uniqueness decision covers.

Triage decides "is this a new problem?" by reading what is already there (the resident's
open tickets, the unit's, the building's reports) and then writing. Two triages of the
same resident running at once would both read "nothing there" and both open a ticket, so
each decision is serialised on its key — ``resident:42``, ``unit:3/2-1201``,
``building:3`` — and on nothing wider: triages of unrelated residents run in parallel.

On PostgreSQL the keys are transaction-level advisory locks (``pg_advisory_xact_lock``),
released at commit or rollback, so a worker killed mid-triage frees them at once. On
SQLite every writing transaction already holds the database's one write lock from BEGIN
(see :mod:`plaint.models.db`), which serialises all triages: nothing more is needed.

Deadlock freedom: a transaction takes its keys in one call, sorted; triage takes the
reporter keys first and the series keys after, and never the other way round.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.orm import Session

__all__ = ["advisory_key", "lock_keys"]


def advisory_key(name: str) -> int:
    """The signed 64-bit advisory lock id of ``name`` (stable across processes)."""
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_keys(session: Session, names: Iterable[str], *, shared: Iterable[str] = ()) -> None:
    """Block until the caller's transaction holds every lock in ``names`` exclusively and
    every lock in ``shared`` in shared mode (shared holders do not wait for each other; an
    exclusive holder waits for them all, and they for it); all are held until the
    transaction ends. A no-op on SQLite (see the module docstring)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    calls = [("pg_advisory_xact_lock", key) for key in {advisory_key(n) for n in names}]
    calls += [("pg_advisory_xact_lock_shared", key) for key in {advisory_key(n) for n in shared}]
    if not calls:
        return
    calls.sort(key=lambda call: call[1])
    sql = ", ".join(f"{fn}(:k{i})" for i, (fn, _key) in enumerate(calls))
    session.execute(text(f"SELECT {sql}"), {f"k{i}": key for i, (_fn, key) in enumerate(calls)})
