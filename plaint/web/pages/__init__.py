"""The operations pages: server-rendered HTML (jinja2, autoescaped) for the desk, the
departments and managers — sign in and out, Today, a ticket with its actions, the queues,
the review queue, incidents, the monthly report and the public notice (公示). No front-end
build step: a few lines of plain JavaScript refresh Today.

:func:`install_pages` adds them to the app with a signed session cookie
(Starlette's SessionMiddleware, signed by itsdangerous with ``PLAINT_SECRET_KEY``).
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.middleware.sessions import SessionMiddleware

from plaint.web.pages import (
    desk,
    incidents,
    notices,
    queues,
    reports,
    session_routes,
    ticket,
    warnings,
)
from plaint.web.pages.auth import FormExpiredError, SignInRequiredError
from plaint.web.pages.render import render
from plaint.web.redact import install_redaction

__all__ = ["SESSION_COOKIE", "SESSION_LIFETIME", "install_pages"]

SESSION_COOKIE = "plaint_session"
# A signed-in browser stays signed in for one working day and a half.
SESSION_LIFETIME = timedelta(hours=12)


async def _sign_in_first(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequiredError)
    return RedirectResponse(f"/signin?next={exc.next}", status_code=303)


async def _form_expired(request: Request, exc: Exception) -> Response:
    return render(request, "expired.html", status=403)


def install_pages(app: FastAPI, *, secret_key: str, https_only: bool = False) -> None:
    """Serve the pages on ``app`` with a session cookie signed by ``secret_key``.

    Where the session cookie departs from Starlette's defaults, and why: it is named
    ``plaint_session`` (not ``session``, which other apps on the host may use); it lasts
    :data:`SESSION_LIFETIME` (not two weeks: a shared desk computer); ``same_site`` stays
    ``lax`` (the CSRF token guards the forms as well); ``https_only`` when the site is
    served over HTTPS (the pages are also served on loopback over HTTP)."""
    app.add_middleware(
        SessionMiddleware, secret_key=secret_key, session_cookie=SESSION_COOKIE,
        max_age=int(SESSION_LIFETIME.total_seconds()), same_site="lax", https_only=https_only,
    )  # fmt: skip
    # desk before ticket: /tickets/new is not a ticket number
    pages = (session_routes, desk, ticket, queues, incidents, reports, warnings, notices)
    for module in pages:
        app.include_router(module.router)
    app.add_exception_handler(SignInRequiredError, _sign_in_first)
    app.add_exception_handler(FormExpiredError, _form_expired)
    install_redaction()  # share-link and sign-in tokens never reach the access log
