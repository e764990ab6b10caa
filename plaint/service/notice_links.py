"""Share links of the public notice: an unguessable link, given to the owners' committee
(业主委员会), that shows one community's notice of one month until it expires.

A link's token is ``secrets.token_urlsafe(32)`` (256 random bits); only its SHA-256 is
stored (:class:`~plaint.models.NoticeLink`), so the database cannot give a link away and
the token is shown once, to whoever made it. :func:`open_link` tells a live link from an
expired or revoked one (the page says which) and from an unknown one (no such page).
Who may make and revoke links is :data:`NOTICE_ROLES`, the roles that see every
department (the notice counts every department's tickets of the community).
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from plaint.errors import InvalidInputError, NotFoundError
from plaint.models import NoticeLink
from plaint.service.desk import DESK_ROLES
from plaint.service.directory import StaffIdentity, token_digest
from plaint.service.notice import has_residents
from plaint.service.roles import require_role

__all__ = [
    "DEFAULT_DAYS",
    "MAX_DAYS",
    "NOTICE_ROLES",
    "LinkState",
    "SharedLink",
    "list_links",
    "open_link",
    "revoke_link",
    "share_notice",
]

# Who sees the notice page and shares it: the desk, property and regional managers, admins.
NOTICE_ROLES = DESK_ROLES
DEFAULT_DAYS = 30  # how long a link answers unless told otherwise
MAX_DAYS = 366  # no link outlives a year: a forgotten link stops by itself
_TOKEN_BYTES = 32


class LinkState(enum.StrEnum):
    """Whether a link shows its notice."""

    LIVE = "live"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True)
class SharedLink:
    """A share link as staff see it (never its token)."""

    id: int
    community: str
    month: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None

    def state(self, now: datetime) -> LinkState:
        """The link's state at ``now``."""
        if self.revoked_at is not None:
            return LinkState.REVOKED
        return LinkState.LIVE if now < self.expires_at else LinkState.EXPIRED


def _shared(row: NoticeLink) -> SharedLink:
    return SharedLink(row.id, row.community, row.month, row.created_by, row.created_at,
                      row.expires_at, row.revoked_at)  # fmt: skip


def share_notice(
    session: Session, *, community: str, month: str, days: int, actor: StaffIdentity,
    now: datetime,
) -> tuple[str, SharedLink]:  # fmt: skip
    """Make a link to ``community``'s notice of ``month`` (``YYYY-MM``) that answers for
    ``days`` days from ``now``; return its token (shown once) and the link. Raises
    RoleRequiredError for a role outside :data:`NOTICE_ROLES`, InvalidInputError for
    ``days`` outside 1..:data:`MAX_DAYS` or a community where no resident is registered."""
    require_role(actor, NOTICE_ROLES, action="share the public notice")
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInputError(f"a link lasts 1 to {MAX_DAYS} days, not {days}")
    if not has_residents(session, community):
        raise InvalidInputError(f"no resident is registered in community {community!r}")
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    row = NoticeLink(token_hash=token_digest(token), community=community, month=month,
                     expires_at=now + timedelta(days=days), created_by=actor.code,
                     created_at=now)  # fmt: skip
    session.add(row)
    session.flush()
    return token, _shared(row)


def open_link(session: Session, token: str) -> SharedLink | None:
    """The link whose token is ``token``, live or not; ``None`` when there is none."""
    row = session.scalar(select(NoticeLink).where(NoticeLink.token_hash == token_digest(token)))
    return None if row is None else _shared(row)


def revoke_link(
    session: Session, link_id: int, *, actor: StaffIdentity, now: datetime
) -> SharedLink:
    """Stop link ``link_id`` from answering (a revoked link stays revoked; revoking it
    again changes nothing). Raises RoleRequiredError as :func:`share_notice`,
    NotFoundError when there is no such link."""
    require_role(actor, NOTICE_ROLES, action="revoke a public notice link")
    row = session.get(NoticeLink, link_id)
    if row is None:
        raise NotFoundError(f"no notice link {link_id}")
    if row.revoked_at is None:
        row.revoked_at = now
    return _shared(row)


def list_links(session: Session, *, community: str, month: str) -> list[SharedLink]:
    """The links ever made to ``community``'s notice of ``month``, newest first."""
    query = (
        select(NoticeLink)
        .where(NoticeLink.community == community, NoticeLink.month == month)
        .order_by(NoticeLink.id.desc())
    )
    return [_shared(row) for row in session.scalars(query)]
