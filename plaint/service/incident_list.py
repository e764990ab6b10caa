"""Series complaints (系列投诉) as staff see them: each open incident with its reports and
who reported them, limited to the departments the reader may see. Resolving any one
report resolves the incident and tells every reporter
(:func:`plaint.service.staff.act`), so a page's "resolve all" resolves one report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from plaint.models import OPEN_STATUSES, Department, Incident, Ticket
from plaint.service.directory import StaffIdentity

__all__ = ["IncidentReport", "IncidentView", "list_incidents"]

# The most incidents a list shows (the newest).
LISTED = 100


@dataclass(frozen=True)
class IncidentReport:
    """One report of an incident: its ticket and the resident's name (no contact)."""

    number: str
    status: str
    resident: str | None
    received_at: datetime


@dataclass(frozen=True)
class IncidentView:
    """An incident, its place, its department and its reports (oldest first);
    ``open_report``: a report still open, through which it can be resolved (``None``
    when none is)."""

    id: int
    sub_topic: str
    community: str | None
    building: str | None
    department: str
    status: str
    created_at: datetime
    reports: tuple[IncidentReport, ...]
    open_report: str | None


def _view(incident: Incident, department: str, tickets: list[Ticket]) -> IncidentView:
    reports = tuple(
        IncidentReport(t.number, t.status, t.resident.name if t.resident else None, t.received_at)
        for t in sorted(tickets, key=lambda t: (t.received_at, t.id))
    )
    still_open = [r.number for r in reports if r.status in OPEN_STATUSES]
    return IncidentView(
        id=incident.id, sub_topic=incident.sub_topic, community=incident.community,
        building=incident.building, department=department, status=incident.status,
        created_at=incident.created_at, reports=reports,
        open_report=still_open[0] if still_open else None,
    )  # fmt: skip


def list_incidents(
    session: Session, *, who: StaffIdentity, open_only: bool = True
) -> list[IncidentView]:
    """The newest incidents (open ones only, unless ``open_only`` is false) of the
    departments ``who`` may see, each with its reports. Reads only."""
    query = select(Incident, Department.code).join(
        Department, Incident.department_id == Department.id
    )
    if not who.sees_all_departments:
        query = query.where(Department.code == (who.department or ""))
    if open_only:
        query = query.where(Incident.status != "resolved")
    rows = session.execute(query.order_by(Incident.id.desc()).limit(LISTED)).all()
    ids = [incident.id for incident, _ in rows]
    tickets: dict[int, list[Ticket]] = {id_: [] for id_ in ids}
    for ticket in session.scalars(select(Ticket).where(Ticket.incident_id.in_(ids))):
        tickets[ticket.incident_id or 0].append(ticket)
    return [_view(incident, code, tickets[incident.id]) for incident, code in rows]
