"""The staff directory and API tokens.

Staff come from the ``[[staff]]`` tables of the TOML file (kept in step by
:func:`sync_staff` at start-up) and from ``plaint staff import``. Every API request is made
by a member of staff, found from a bearer token by :func:`authenticate`; tokens are shown
once by :func:`issue_token` and only their SHA-256 is stored.

Who sees what (:func:`can_see_department`): members and department heads see their own
department's tickets; the desk, the property and regional managers and admins see all.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plaint.config.sla import StaffMember
from plaint.errors import NotFoundError
from plaint.models import StaffRecord, StaffToken

__all__ = [
    "DEPARTMENT_ROLES",
    "StaffIdentity",
    "authenticate",
    "can_see_department",
    "find_staff",
    "issue_token",
    "revoke_tokens",
    "sync_staff",
]

# Roles whose view is limited to their own department.
DEPARTMENT_ROLES = frozenset({"member", "department_head"})
# A token is this prefix and 32 random bytes in URL-safe base64, so a leaked one is easy to
# recognise in a secret scanner.
TOKEN_PREFIX = "plt_"  # noqa: S105 (a public prefix, not a secret)


@dataclass(frozen=True)
class StaffIdentity:
    """Who is acting: a member of staff as the API and the CLI know them."""

    code: str
    name: str
    role: str
    department: str | None

    @property
    def sees_all_departments(self) -> bool:
        """True for roles that see every department's tickets."""
        return self.role not in DEPARTMENT_ROLES


def _identity(row: StaffRecord) -> StaffIdentity:
    return StaffIdentity(code=row.code, name=row.name, role=row.role, department=row.department)


def can_see_department(who: StaffIdentity, department: str | None) -> bool:
    """Whether ``who`` may see a ticket owned by ``department``."""
    return who.sees_all_departments or (department is not None and department == who.department)


def sync_staff(session: Session, staff: Iterable[StaffMember], *, now: datetime) -> None:
    """Make the directory's configured staff match ``staff`` (the TOML ``[[staff]]``):
    create or update each, and deactivate configured staff no longer listed. Imported
    staff are left alone unless the TOML file names them, in which case it wins."""
    rows = {r.code: r for r in session.scalars(select(StaffRecord))}
    listed = set()
    for member in staff:
        listed.add(member.code)
        row = rows.get(member.code)
        if row is None:
            row = StaffRecord(code=member.code, updated_at=now)
            session.add(row)
        changes = {
            "name": member.name, "role": member.role, "department": member.department,
            "phone": member.phone, "email": member.email, "on_duty": member.on_duty,
            "working_hours": getattr(member, "working_hours", None), "active": True,
            "origin": "config",
        }  # fmt: skip
        if any(getattr(row, k, None) != v for k, v in changes.items()):
            for key, value in changes.items():
                setattr(row, key, value)
            row.updated_at = now
    for code, row in rows.items():
        if row.origin == "config" and code not in listed and row.active:
            row.active = False
            row.updated_at = now


def find_staff(session: Session, code: str) -> StaffIdentity:
    """Return the active member of staff with ``code``; raise NotFoundError naming the
    code when there is none (e.g. a mistyped ``--by``)."""
    row = session.scalar(
        select(StaffRecord).where(StaffRecord.code == code, StaffRecord.active.is_(True))
    )
    if row is None:
        raise NotFoundError(f"no active member of staff with code {code!r} (see plaint staff list)")
    return _identity(row)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, code: str, *, now: datetime) -> str:
    """Create and return a new API token for the member of staff ``code``; only its hash
    is stored, so the caller must show it now. Raises NotFoundError for an unknown code."""
    find_staff(session, code)
    row = session.scalar(select(StaffRecord).where(StaffRecord.code == code))
    assert row is not None
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(StaffToken(staff_id=row.id, token_hash=_hash(token), created_at=now))
    return token


def revoke_tokens(session: Session, code: str, *, now: datetime) -> int:
    """Revoke every live token of ``code``; return how many were revoked. Raises
    NotFoundError for an unknown code."""
    row = session.scalar(select(StaffRecord).where(StaffRecord.code == code))
    if row is None:
        raise NotFoundError(f"no member of staff with code {code!r}")
    result = session.execute(
        update(StaffToken)
        .where(StaffToken.staff_id == row.id, StaffToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def authenticate(session: Session, token: str) -> StaffIdentity | None:
    """Return who holds ``token``, or ``None`` when it is unknown, revoked, or its holder
    is no longer active. Compares hashes only; the token itself is never stored or logged."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = session.scalar(
        select(StaffRecord)
        .join(StaffToken, StaffToken.staff_id == StaffRecord.id)
        .where(
            StaffToken.token_hash == _hash(token),
            StaffToken.revoked_at.is_(None),
            StaffRecord.active.is_(True),
        )
    )
    return None if row is None else _identity(row)
