"""Early warning (预警): the current spikes of a sub-topic in a building or community.

:func:`current_warnings` counts the valid tickets per place (the resident's community and
building) and sub-topic with one GROUP BY over the recent window and one over the
baseline before it (both ranges of the indexed ``received_at``, so the cost is the
tickets of those weeks, not of the whole table), runs the pure test of
:mod:`plaint.pipeline.spikes`, and reads the tickets behind the spikes found.

Who sees what: the desk, the managers and admins see every spike; a member or department
head sees a spike only when one of its tickets belongs to their department, and only
those tickets (its counts are the place's, every department's: a rate, no one's data).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, tuple_
from sqlalchemy.orm import Session

from plaint.config import Config
from plaint.models import Department, Resident, Ticket
from plaint.pipeline.spikes import Place, Spike, community_counts, find_spikes
from plaint.service.directory import StaffIdentity, can_see_department

__all__ = ["EarlyWarning", "SpikeTicket", "current_warnings", "place_counts"]

# A ticket is counted when its resident has a community or a building.
_placed = or_(Resident.community.is_not(None), Resident.building.is_not(None))


@dataclass(frozen=True)
class SpikeTicket:
    """A ticket of a spike: its number and its department's code."""

    number: str
    department: str


@dataclass(frozen=True)
class EarlyWarning:
    """A spike and the tickets of the recent window behind it (oldest first)."""

    spike: Spike
    tickets: tuple[SpikeTicket, ...]


def place_counts(
    session: Session, *, since: datetime, until: datetime
) -> dict[tuple[Place, str], int]:
    """The valid tickets received in [``since``, ``until``) per place and sub-topic, for
    each building and each community (:func:`~plaint.pipeline.spikes.community_counts`);
    tickets whose resident has neither a community nor a building are not counted."""
    rows = session.execute(
        select(Resident.community, Resident.building, Ticket.sub_topic, func.count())
        .join(Resident, Ticket.resident_id == Resident.id)
        .where(Ticket.received_at >= since, Ticket.received_at < until,
               Ticket.validity != "invalid", _placed)
        .group_by(Resident.community, Resident.building, Ticket.sub_topic)
    )  # fmt: skip
    counts = {(Place(c or "", b), s): n for c, b, s, n in rows}
    return community_counts(counts)


def current_warnings(
    session: Session, *, config: Config, now: datetime, viewer: StaffIdentity | None = None
) -> list[EarlyWarning]:
    """The spikes at ``now`` (most improbable first) with their tickets; only those
    ``viewer`` may see (see the module's docstring), all of them for ``None``."""
    settings = config.early_warning
    window_start = now - settings.test.window
    recent = place_counts(session, since=window_start, until=now)
    baseline = place_counts(session, since=window_start - settings.baseline, until=window_start)
    spikes = find_spikes(recent=recent, baseline=baseline, test=settings.test)
    tickets = _tickets_of(session, spikes, since=window_start, until=now)
    warnings = []
    for spike in spikes:
        mine = tuple(
            t for t in tickets[(spike.place, spike.sub_topic)]
            if viewer is None or can_see_department(viewer, t.department)
        )  # fmt: skip
        if mine:
            warnings.append(EarlyWarning(spike, mine))
    return warnings


def _tickets_of(
    session: Session, spikes: list[Spike], *, since: datetime, until: datetime
) -> dict[tuple[Place, str], list[SpikeTicket]]:
    """The tickets behind ``spikes``, per (place, sub-topic), in one query."""
    found: dict[tuple[Place, str], list[SpikeTicket]] = defaultdict(list)
    if not spikes:
        return found
    wanted = {(s.place, s.sub_topic) for s in spikes}
    pairs = {(s.place.community, s.sub_topic) for s in spikes}
    rows = session.execute(
        select(Ticket.number, Department.code, Resident.community, Resident.building,
               Ticket.sub_topic)
        .join(Resident, Ticket.resident_id == Resident.id)
        .join(Department, Ticket.department_id == Department.id)
        .where(Ticket.received_at >= since, Ticket.received_at < until,
               Ticket.validity != "invalid", _placed,
               tuple_(func.coalesce(Resident.community, ""), Ticket.sub_topic).in_(pairs))
        .order_by(Ticket.received_at, Ticket.id)
    )  # fmt: skip
    for number, department, community, building, sub_topic in rows:
        for place in {Place(community or "", building), Place(community or "")}:
            if (place, sub_topic) in wanted:
                found[(place, sub_topic)].append(SpikeTicket(number, department))
    return found
