"""Giving a routed ticket to a staff member of its department.

Candidates are the department's staff with role ``member`` who are on duty (``on_duty``
in the staff table of the TOML file, true by default). ``least_open`` picks the one with
the fewest open tickets (ties by code, so it is deterministic); ``round_robin`` takes them
in turn with a counter in the database, so every worker process agrees.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plaint.config import Config
from plaint.config.sla import StaffMember
from plaint.models import OPEN_STATUSES, Ticket
from plaint.service.store import next_counter

__all__ = ["choose_assignee"]


def _candidates(config: Config, department: str) -> list[StaffMember]:
    return sorted(
        (s for s in config.staff if s.department == department and s.role == "member"
         and s.on_duty),
        key=lambda s: s.code,
    )  # fmt: skip


def choose_assignee(session: Session, *, config: Config, department: str) -> StaffMember | None:
    """Return who should handle a new ticket of ``department``, or ``None`` when nobody is
    on duty there (the department head is warned instead) or assignment is off."""
    mode = config.routing.assignment
    candidates = _candidates(config, department)
    if mode == "none" or not candidates:
        return None
    if mode == "round_robin":
        turn = next_counter(session, f"round_robin:{department}")
        return candidates[(turn - 1) % len(candidates)]
    rows = session.execute(
        select(Ticket.assignee, func.count())
        .where(Ticket.assignee.in_([c.code for c in candidates]), Ticket.status.in_(OPEN_STATUSES))
        .group_by(Ticket.assignee)
    )
    counts = {code: count for code, count in rows}
    return min(candidates, key=lambda s: (counts.get(s.code, 0), s.code))
