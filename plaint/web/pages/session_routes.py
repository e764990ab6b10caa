"""Signing in and out, the UI language, and **Today** (with its refreshing fragment)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from plaint.service.signin import SignedIn, redeem_link, sign_in
from plaint.service.today import today
from plaint.web.deps import Context, DbSession, Now
from plaint.web.pages.auth import CsrfChecked, PageStaff
from plaint.web.pages.i18n import LANGUAGES
from plaint.web.pages.render import language, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _local(next_path: str) -> str:
    """``next_path`` if it is a path on this site, else Today (no open redirect)."""
    return next_path if next_path.startswith("/") and not next_path.startswith("//") else "/today"


@router.get("/")
def home() -> RedirectResponse:
    """The pages start at Today."""
    return RedirectResponse("/today", status_code=303)


@router.get("/signin", response_class=HTMLResponse)
def signin_form(
    request: Request, context: Context, now: Now, next: str = "/today", token: str = ""
) -> Response:
    """The sign-in form; with ``token``, a one-time sign-in link
    (:func:`plaint.service.signin.redeem_link`): signed in and sent on, or the form (401)
    when the link is unknown or used."""
    if not token:
        return render(request, "signin.html", next=_local(next), failed=False)
    with context.writer.begin() as session:
        signed = redeem_link(session, token, now=now)
    if signed is None:
        return render(request, "signin.html", status=401, next=_local(next), failed=True)
    return _signed_in(request, signed, next)


@router.post("/signin", dependencies=[CsrfChecked])
def signin(
    request: Request, session: DbSession, token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/today",
) -> Response:  # fmt: skip
    """Sign in with a staff token; the form again (401) when it is unknown or revoked."""
    signed = sign_in(session, token)
    if signed is None:
        return render(request, "signin.html", status=401, next=_local(next), failed=True)
    return _signed_in(request, signed, next)


def _signed_in(request: Request, signed: SignedIn, next_path: str) -> RedirectResponse:
    lang = language(request)
    request.session.clear()  # a new session: no form token from before signing in
    request.session.update(token=signed.digest, lang=lang)
    return RedirectResponse(_local(next_path), status_code=303)


@router.post("/signout", dependencies=[CsrfChecked])
def signout(request: Request) -> RedirectResponse:
    """Forget the session."""
    request.session.clear()
    return RedirectResponse("/signin", status_code=303)


@router.post("/language", dependencies=[CsrfChecked])
def choose_language(
    request: Request, lang: Annotated[str, Form()], back: Annotated[str, Form()] = "/today"
) -> RedirectResponse:
    """Switch the UI language (``zh`` or ``en``) and go back."""
    if lang in LANGUAGES:
        request.session["lang"] = lang
    return RedirectResponse(_local(back), status_code=303)


@router.get("/today", response_class=HTMLResponse)
def today_page(request: Request, session: DbSession, who: PageStaff, now: Now) -> Response:
    """Today: the whole page."""
    return render(request, "today.html", who=who, view=today(session, who=who, now=now))


@router.get("/today/fragment", response_class=HTMLResponse)
def today_fragment(request: Request, session: DbSession, who: PageStaff, now: Now) -> Response:
    """Today's figures alone, which the page fetches every few seconds."""
    return render(request, "today_body.html", who=who, view=today(session, who=who, now=now))
