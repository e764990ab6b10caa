"""Provisional due times: which clocks of a ticket were counted through a provisional
calendar year (statutory holidays only, make-up working days unpublished, see
:mod:`plaint.config.calendars`), and the ``sla_recomputed`` event that records a change of
due times once the year's schedule is in the configuration."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from plaint.models import Ticket
from plaint.pipeline.calendar import WorkCalendar, provisional_years_of_due
from plaint.pipeline.sla import Clock, Policy, TicketPlan
from plaint.service.events import record_event

__all__ = ["Dues", "all_years", "dues_of", "provisional_clocks", "record_recomputed"]

Dues = tuple[datetime | None, datetime | None]
"""A ticket's (first response, closure) due times."""
_DUE_CLOCKS = (Clock.FIRST_RESPONSE, Clock.CLOSURE)


def dues_of(ticket: Ticket) -> Dues:
    """Return the due times stored on ``ticket``."""
    return ticket.first_response_due, ticket.closure_due


def provisional_clocks(
    plan: TicketPlan, *, policy: Policy, calendar: WorkCalendar
) -> Mapping[Clock, frozenset[int]]:
    """Return, for each clock whose due time was counted in working time through a
    provisional calendar year, those years (clock-time budgets never touch the calendar)."""
    years = {
        clock: provisional_years_of_due(start=state.started_at, due=state.due,
                                        budget=policy.budget(clock), calendar=calendar)
        for clock, state in plan.states.items()
        if state.started_at is not None and state.due is not None
    }  # fmt: skip
    return {clock: found for clock, found in years.items() if found}


def all_years(provisional: Mapping[Clock, frozenset[int]]) -> list[int]:
    """The provisional years of :func:`provisional_clocks`'s answer, sorted."""
    return sorted({year for years in provisional.values() for year in years})


def record_recomputed(
    session: Session, ticket: Ticket, *, before: Dues, years: list[int], now: datetime
) -> None:
    """Record an ``sla_recomputed`` event on ``ticket``: the due times ``before`` and as
    now stored (ISO 8601 in UTC), and the provisional ``years`` they still depend on
    (empty: final)."""

    def iso(dues: Dues) -> dict[str, str | None]:
        return {clock.value: None if due is None else due.astimezone(UTC).isoformat()
                for clock, due in zip(_DUE_CLOCKS, dues, strict=True)}  # fmt: skip

    after = iso(dues_of(ticket))
    record_event(session, ticket, "sla_recomputed", at=now, reason="calendar",
                 before=iso(before), after=after, provisional_years=years)  # fmt: skip
