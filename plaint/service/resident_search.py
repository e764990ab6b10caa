"""Finding a resident as the desk types (the New complaint page): residents whose phone
number, unit or name starts with what was typed. Only roles that handle residents'
contacts on every ticket may search (:data:`plaint.service.desk.DESK_ROLES`, the same
roles as record complaints), since every match carries a phone number and an address."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from plaint.models import Resident
from plaint.service.desk import DESK_ROLES
from plaint.service.directory import StaffIdentity
from plaint.service.roles import require_role
from plaint.service.tickets import ResidentContact

__all__ = ["MIN_QUERY", "ResidentMatch", "find_residents"]

MIN_QUERY = 2  # characters typed before anything is looked up


@dataclass(frozen=True)
class ResidentMatch(ResidentContact):
    """One resident the desk may pick: their contact and directory id."""

    id: int


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def find_residents(
    session: Session, *, who: StaffIdentity, query: str, limit: int = 8
) -> list[ResidentMatch]:
    """Up to ``limit`` residents whose phone (as typed or after ``+86``), unit or name
    starts with ``query``, by name; nothing for fewer than :data:`MIN_QUERY` characters.
    PermissionDeniedError for roles that do not record complaints."""
    require_role(who, DESK_ROLES, action="look up residents")
    typed = query.strip()
    if len(typed) < MIN_QUERY:
        return []
    prefix = _escaped(typed) + "%"
    phones = [prefix, "+86" + prefix] if typed[0].isdigit() else [prefix]
    matches = or_(
        *(Resident.phone.like(p, escape="\\") for p in phones),
        Resident.unit.like(prefix, escape="\\"),
        Resident.name.like(prefix, escape="\\"),
    )
    query_ = select(Resident).where(matches).order_by(Resident.name, Resident.id).limit(limit)
    rows = session.scalars(query_)
    return [ResidentMatch(name=r.name, phone=r.phone, email=r.email, community=r.community,
                          building=r.building, unit=r.unit, id=r.id) for r in rows]  # fmt: skip
