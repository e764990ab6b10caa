"""The staff directory and API tokens.

Staff come from the ``[[staff]]`` tables of the TOML file (kept in step by
:func:`sync_staff` at start-up) and from ``plaint staff import``. Every API request is made
by a member of staff, found from a bearer token by :func:`authenticate`; tokens are shown
once by :func:`issue_token` and only their SHA-256 is stored.

Who sees what (:func:`can_see_department`): members and department heads see their own
department's tickets; the desk, the property and regional managers and admins see all.

The directory is the one source of who handles and who is escalated to: assignment and
the SLA sweep read the active staff from the ``staff`` table (:func:`load_directory`, one
query per batch), never the TOML file, so imported staff are assigned and notified too.
:func:`sync_directory` makes the table match the configuration at every start-up point.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, or_, select, text, update
from sqlalchemy.orm import Session

from plaint.config import Config
from plaint.config.sla import StaffMember
from plaint.errors import ConfigError, NotFoundError
from plaint.models import Department, StaffRecord, StaffToken
from plaint.pipeline.calendar import (
    WorkCalendar,
    WorkingHours,
    next_working_instant,
    parse_working_hours,
)
from plaint.service.store import sync_departments

__all__ = [
    "DEPARTMENT_ROLES",
    "Directory",
    "StaffEntry",
    "StaffIdentity",
    "StaffListing",
    "authenticate",
    "can_see_department",
    "find_staff",
    "issue_token",
    "list_staff",
    "load_directory",
    "personal_calendar",
    "reachable_from",
    "revoke_tokens",
    "sync_directory",
    "sync_staff",
    "token_digest",
]

logger = logging.getLogger(__name__)

# Roles whose view is limited to their own department.
DEPARTMENT_ROLES = frozenset({"member", "department_head"})
# The PostgreSQL advisory lock that serialises start-up syncs of several processes.
_SYNC_LOCK = 0x706C_6169_6E74  # "plaint"
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
            "working_hours": member.working_hours, "active": True,
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


def _active_row(session: Session, code: str) -> StaffRecord:
    row = session.scalar(
        select(StaffRecord).where(StaffRecord.code == code, StaffRecord.active.is_(True))
    )
    if row is None:
        raise NotFoundError(f"no active member of staff with code {code!r} (see plaint staff list)")
    return row


def find_staff(session: Session, code: str) -> StaffIdentity:
    """Return the active member of staff with ``code``; raise NotFoundError naming the
    code when there is none (e.g. a mistyped ``--by``)."""
    return _identity(_active_row(session, code))


def token_digest(token: str) -> str:
    """The SHA-256 hex digest of ``token``: all that is stored of it."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


_hash = token_digest


def issue_token(session: Session, code: str, *, now: datetime) -> str:
    """Create and return a new API token for the member of staff ``code``; only its hash
    is stored, so the caller must show it now. Raises NotFoundError for an unknown code."""
    row = _active_row(session, code)
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


def sync_directory(session: Session, config: Config, *, now: datetime) -> None:
    """Make the departments and the configured staff of the database match ``config``
    (:func:`~plaint.service.store.sync_departments`, then :func:`sync_staff`). Every
    start-up point calls it: worker runtimes and the ``plaint staff`` commands. On
    PostgreSQL an advisory lock held to the end of the caller's transaction makes processes
    starting together take turns instead of inserting the same row twice."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SYNC_LOCK})
    sync_departments(session, config.departments)
    sync_staff(session, config.staff, now=now)


@dataclass(frozen=True)
class StaffEntry:
    """A member of staff as the directory holds them (contact details included: never
    log one)."""

    code: str
    name: str
    role: str
    department: str | None
    phone: str | None
    email: str | None
    working_hours: str | None
    on_duty: bool
    active: bool
    origin: str


@dataclass(frozen=True)
class StaffListing:
    """One line of ``plaint staff list``: the entry and whether it has a live API token
    (the token itself is never read back: only its hash is stored)."""

    entry: StaffEntry
    has_token: bool


def _entry(row: StaffRecord) -> StaffEntry:
    return StaffEntry(
        code=row.code, name=row.name, role=row.role, department=row.department,
        phone=row.phone, email=row.email, working_hours=row.working_hours,
        on_duty=row.on_duty, active=row.active, origin=row.origin,
    )  # fmt: skip


def list_staff(session: Session, *, department: str | None = None) -> list[StaffListing]:
    """Return every member of staff (inactive ones too), by code, with whether each has
    a live token; only those of ``department`` (a department's code or name) when given.
    Raises NotFoundError when ``department`` names no department."""
    live_token = exists().where(
        StaffToken.staff_id == StaffRecord.id, StaffToken.revoked_at.is_(None)
    )
    query = select(StaffRecord, live_token.label("has_token")).order_by(StaffRecord.code)
    if department is not None:
        code = session.scalar(
            select(Department.code).where(
                or_(Department.code == department, Department.name == department)
            )
        )
        if code is None:
            raise NotFoundError(f"no department {department!r} (a code or a name)")
        query = query.where(StaffRecord.department == code)
    return [StaffListing(_entry(row), bool(has)) for row, has in session.execute(query)]


@dataclass(frozen=True)
class Directory:
    """The active staff at one moment, as one batch of work sees them."""

    staff: tuple[StaffEntry, ...]

    def member(self, code: str | None) -> StaffEntry | None:
        """Return the active member of staff with ``code``, if there is one."""
        return next((s for s in self.staff if s.code == code), None)

    def with_role(self, role: str, *, department: str) -> list[StaffEntry]:
        """Return the active staff with ``role`` who answer for ``department``: those of
        that department for the department roles, everyone with it for the others."""
        return [
            s for s in self.staff
            if s.role == role and (role not in DEPARTMENT_ROLES or s.department == department)
        ]  # fmt: skip


def load_directory(session: Session) -> Directory:
    """Return the active staff, by code, in one query (call it once per batch)."""
    rows = session.scalars(
        select(StaffRecord).where(StaffRecord.active.is_(True)).order_by(StaffRecord.code)
    )
    return Directory(tuple(_entry(row) for row in rows))


@functools.lru_cache(maxsize=256)
def _hours(text: str) -> WorkingHours:
    return WorkingHours(parse_working_hours(text))


def personal_calendar(entry: StaffEntry, company: WorkCalendar) -> WorkCalendar:
    """Return ``company`` (the staff calendar: its zone, working days and hours) with
    ``entry``'s own working hours, when they have some. Hours that do not parse (the
    import and the configuration check them, so only a hand-edited row) fall back to the
    company's, with a warning naming the code."""
    if not entry.working_hours:
        return company
    try:
        return dataclasses.replace(company, hours=_hours(entry.working_hours))
    except ConfigError:
        logger.warning("staff %s: working hours unreadable, using staff hours", entry.code)
        return company


def reachable_from(
    staff: StaffEntry, *, config: Config, now: datetime, urgent: bool = False
) -> datetime:
    """When a notification to ``staff`` may go: at once if ``urgent``, else the next
    instant inside their own working hours (the company's staff hours if they have none)."""
    if urgent:
        return now
    return next_working_instant(at=now, calendar=personal_calendar(staff, config.staff_calendar))
