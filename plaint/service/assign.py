"""Giving a routed ticket to a staff member of its department.

Candidates are the department's active staff in the directory (the ``staff`` table: the
TOML ``[[staff]]`` tables and ``plaint staff import``) with role ``member`` who are on duty.
``least_open`` picks the one with the fewest open tickets (ties by code, so it is
deterministic) and reads candidates and their counts in one query; ``round_robin`` takes
them in turn with a counter in the database, so every worker process agrees.
"""

from __future__ import annotations

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import Session

from plaint.config import Config
from plaint.models import OPEN_STATUSES, StaffRecord, Ticket
from plaint.service.directory import StaffIdentity
from plaint.service.store import next_counter

__all__ = ["choose_assignee"]

HANDLER_ROLE = "member"


# Built once, the department bound at execution: building the statement costs more than
# running it. Reads every open ticket's assignee (no index on it): linear in open tickets.
_CANDIDATES = (
    select(StaffRecord.code, StaffRecord.name, StaffRecord.role, StaffRecord.department,
           func.count(Ticket.id))
    .outerjoin(Ticket, and_(Ticket.assignee == StaffRecord.code,
                            Ticket.status.in_(OPEN_STATUSES)))
    .where(StaffRecord.department == bindparam("department"),
           StaffRecord.role == HANDLER_ROLE, StaffRecord.on_duty.is_(True),
           StaffRecord.active.is_(True))
    .group_by(StaffRecord.code, StaffRecord.name, StaffRecord.role, StaffRecord.department)
    .order_by(StaffRecord.code)
)  # fmt: skip


def _candidates(session: Session, department: str) -> list[tuple[StaffIdentity, int]]:
    """The department's on-duty members with their open-ticket counts, by code."""
    rows = session.execute(_CANDIDATES, {"department": department})
    return [(StaffIdentity(code, name, role, dept), n) for code, name, role, dept, n in rows]


def choose_assignee(session: Session, *, config: Config, department: str) -> StaffIdentity | None:
    """Return who should handle a new ticket of ``department``, or ``None`` when nobody is
    on duty there (the department head is warned instead) or assignment is off."""
    mode = config.routing.assignment
    if mode == "none":
        return None
    candidates = _candidates(session, department)
    if not candidates:
        return None
    if mode == "round_robin":
        turn = next_counter(session, f"round_robin:{department}")
        return candidates[(turn - 1) % len(candidates)][0]
    return min(candidates, key=lambda c: (c[1], c[0].code))[0]
