"""Recompute the due times of open tickets after the working-day calendar changed: those
computed through a provisional year (statutory holidays only, see
:mod:`plaint.config.calendars`) and those that could not be computed at all (an
``sla_error`` for a year nothing covered). It also repairs each ticket's
``sla_breached`` summary of its marks (:func:`refresh_breached`).

``plaint sla recompute`` and the start-up of ``plaint run`` call
:func:`recompute_provisional` with the configuration just loaded: a year now listed in
``[calendar] years`` (or known to a newer chinesecalendar) gives final due times and clears
the ticket's provisional mark; a change of due times is recorded as an ``sla_recomputed``
event with the due times before and after. Idempotent: a second run changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from plaint.config import Config
from plaint.errors import CalendarCoverageError
from plaint.models import OPEN_STATUSES, SlaMark, Ticket
from plaint.service.provisional import dues_of, record_recomputed
from plaint.service.sla import Fired, fired_marks, plan_for, store_plan

__all__ = [
    "RECOMPUTE_BATCH",
    "DueChange",
    "RecomputeResult",
    "recompute_provisional",
    "refresh_breached",
]

logger = logging.getLogger(__name__)

RECOMPUTE_BATCH = 200
"""Tickets per transaction (three SELECTs each, whatever the batch's size)."""


@dataclass(frozen=True)
class DueChange:
    """One ticket whose due times changed: before and after, and the provisional years
    the new ones still depend on (empty: final)."""

    number: str
    first_response_before: datetime | None
    closure_before: datetime | None
    first_response_after: datetime | None
    closure_after: datetime | None
    provisional_years: tuple[int, ...]


@dataclass(frozen=True)
class RecomputeResult:
    """What one recomputation did: ``checked`` tickets, the ``changes``, how many remain
    ``provisional`` and how many still ``failed`` (a year no calendar data covers)."""

    checked: int
    changes: tuple[DueChange, ...]
    provisional: int
    failed: int
    breached_repaired: int = 0

    @property
    def confirmed(self) -> int:
        """Tickets whose due times are final now (no longer provisional)."""
        return sum(1 for change in self.changes if not change.provisional_years)


def recompute_provisional(
    sessions: sessionmaker[Session],
    *,
    config: Config,
    now: datetime,
    batch: int = RECOMPUTE_BATCH,
) -> RecomputeResult:
    """Recompute, with ``config``'s calendar at ``now``, every open ticket whose due times
    are provisional or missing; return what changed. One transaction per ``batch`` tickets
    (in id order); on PostgreSQL the rows are locked, so a concurrent sweep waits."""
    with sessions.begin() as session:
        repaired = refresh_breached(session)
    changes: list[DueChange] = []
    checked = provisional = failed = 0
    after_id = 0
    while True:
        with sessions.begin() as session:
            rows = _pending(session, after_id, batch)
            fired = fired_marks(session, [t.id for t in rows])
            for ticket in rows:
                outcome = _recompute(session, ticket, config=config, now=now,
                                     fired=fired[ticket.id])  # fmt: skip
                if outcome is None:
                    failed += 1
                    continue
                change, still = outcome
                changes.extend([change] if change else [])
                provisional += still
        checked += len(rows)
        if len(rows) < batch:
            break
        after_id = rows[-1].id
    if changes:
        logger.info("recomputed due times of %d tickets (%d still provisional)", len(changes),
                    provisional)  # fmt: skip
    return RecomputeResult(checked, tuple(changes), provisional, failed, repaired)


def refresh_breached(session: Session) -> int:
    """Set every ticket's ``sla_breached`` to whether a ``breach`` mark exists for it (the
    folded truth the sweep keeps it equal to); return how many disagreed. One UPDATE of
    the disagreeing rows only: nothing is written when all agree."""
    marked = exists().where(SlaMark.ticket_id == Ticket.id, SlaMark.mark == "breach")
    result = session.execute(
        update(Ticket).where(Ticket.sla_breached != marked).values(sla_breached=marked)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    repaired = int(getattr(result, "rowcount", 0) or 0)
    if repaired:
        logger.warning("repaired the breached flag of %d tickets", repaired)
    return repaired


def _pending(session: Session, after_id: int, batch: int) -> list[Ticket]:
    """The next ``batch`` open tickets after ``after_id`` marked provisional or without
    due times, with their clock events (one more SELECT)."""
    missing = and_(
        Ticket.sla_policy.is_not(None),
        or_(Ticket.first_response_due.is_(None), Ticket.closure_due.is_(None)),
    )
    query = (
        select(Ticket)
        .where(Ticket.status.in_([s.value for s in OPEN_STATUSES]), Ticket.id > after_id,
               or_(Ticket.sla_provisional, missing))
        .order_by(Ticket.id)
        .limit(batch)
        .options(selectinload(Ticket.clock_events))
    )  # fmt: skip
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Ticket)
    return list(session.scalars(query).unique())


def _recompute(
    session: Session, ticket: Ticket, *, config: Config, now: datetime, fired: Fired
) -> tuple[DueChange | None, bool] | None:
    """Recompute one ticket: ``None`` if its calendar years are still not covered, else
    the change (``None``: nothing changed) and whether it is still provisional."""
    try:
        plan = plan_for(session, ticket, config=config, now=now, fired=fired)
    except CalendarCoverageError:
        return None
    was_provisional, before = ticket.sla_provisional, dues_of(ticket)
    years = store_plan(ticket, plan, config=config, now=now)
    after = dues_of(ticket)
    if before == after and was_provisional == bool(years):
        return None, bool(years)
    record_recomputed(session, ticket, before=before, years=years, now=now)
    change = DueChange(ticket.number, *before, *after, provisional_years=tuple(years))
    return change, bool(years)
