"""Signing in to the operations pages with a staff API token (``plaint staff token``).

The browser's session keeps the token's SHA-256 digest, never the token: each request
resolves the digest back to its holder, so revoking the token (``plaint staff revoke``) or
deactivating the member ends their page sessions as it ends their API access.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from plaint.models import StaffRecord, StaffToken
from plaint.service.directory import StaffIdentity, authenticate, find_staff, token_digest

__all__ = ["SignedIn", "resume", "sign_in"]


@dataclass(frozen=True)
class SignedIn:
    """Who signed in, and the digest their browser session keeps."""

    who: StaffIdentity
    digest: str


def sign_in(session: Session, token: str) -> SignedIn | None:
    """Return who holds ``token`` and its digest, or ``None`` when the token is unknown,
    revoked, or its holder inactive (:func:`plaint.service.directory.authenticate`)."""
    who = authenticate(session, token.strip())
    return None if who is None else SignedIn(who, token_digest(token.strip()))


def resume(session: Session, digest: str) -> StaffIdentity | None:
    """Return the holder of the live token whose digest is ``digest``, or ``None`` when it
    is unknown or revoked or its holder inactive."""
    code = session.scalar(
        select(StaffRecord.code)
        .join(StaffToken, StaffToken.staff_id == StaffRecord.id)
        .where(StaffToken.token_hash == digest, StaffToken.revoked_at.is_(None),
               StaffRecord.active.is_(True))
    )  # fmt: skip
    return None if code is None else find_staff(session, code)
