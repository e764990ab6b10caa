"""Signing in to the operations pages with a staff API token (``plaint staff token``).

The browser's session keeps the token's SHA-256 digest, never the token: each request
resolves the digest back to its holder, so revoking the token (``plaint staff revoke``) or
deactivating the member ends their page sessions as it ends their API access.

A **sign-in link** (``/signin?token=…``, which ``plaint demo`` prints) signs in once:
:func:`redeem_link` revokes the link's token and gives the session a fresh one of the
same member, so the link, once used (or copied from a terminal's scrollback), is dead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plaint.models import StaffRecord, StaffToken
from plaint.service.directory import (
    StaffIdentity,
    authenticate,
    find_staff,
    issue_token,
    token_digest,
)

__all__ = ["SignedIn", "redeem_link", "resume", "sign_in"]


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


def redeem_link(session: Session, token: str, *, now: datetime) -> SignedIn | None:
    """Sign in with a one-time link's ``token``: revoke it (at most one caller wins the
    UPDATE, so two browsers racing for one link get one session) and return a fresh token's
    holder and digest; ``None`` when the token is unknown, revoked or already used, or its
    holder inactive. The caller commits."""
    signed = sign_in(session, token)
    if signed is None:
        return None
    used = session.execute(
        update(StaffToken)
        .where(StaffToken.token_hash == signed.digest, StaffToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        return None
    fresh = issue_token(session, signed.who.code, now=now)
    return SignedIn(signed.who, token_digest(fresh))
