"""Who is looking at a page: a signed-in member of staff, from the session cookie.

Signing in takes a staff API token (``plaint staff token``); the session keeps its
digest (:mod:`plaint.service.signin`), so a revoked token signs the browser out at its
next request. Every form carries the session's CSRF token and a POST without it is
refused (:func:`check_csrf`). Roles and department scoping are the service layer's, as
for the API.
"""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Form, Request

from plaint.service.directory import StaffIdentity
from plaint.service.signin import resume
from plaint.web.deps import DbSession
from plaint.web.pages.render import csrf_token

__all__ = ["CsrfChecked", "FormExpiredError", "PageStaff", "SignInRequiredError", "page_staff"]


class SignInRequiredError(Exception):
    """No one (or a revoked token) is signed in: the browser is sent to the sign-in page,
    then back to ``next``."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next = quote(next_path, safe="/?=&")


class FormExpiredError(Exception):
    """A POST without the session's form token (a forged or stale form)."""


def page_staff(request: Request, session: DbSession) -> StaffIdentity:
    """The signed-in member of staff; SignInRequiredError when there is none."""
    digest = request.session.get("token")
    who = resume(session, digest) if isinstance(digest, str) else None
    if who is None:
        request.session.pop("token", None)
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequiredError(path)
    return who


PageStaff = Annotated[StaffIdentity, Depends(page_staff)]


def check_csrf(request: Request, csrf: Annotated[str, Form()] = "") -> None:
    """Refuse (FormExpiredError) a form whose token is not the session's."""
    if not secrets.compare_digest(csrf.encode(), csrf_token(request).encode()):
        raise FormExpiredError


CsrfChecked = Depends(check_csrf)
