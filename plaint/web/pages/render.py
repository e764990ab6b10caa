"""Rendering a page: jinja2 templates from ``templates/`` with autoescaping on (as the
monthly report's), the UI text of the signed-in member's language, the form token, and a
one-time notice carried across a redirect."""

from __future__ import annotations

import secrets
from datetime import datetime
from functools import cache
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from plaint.pipeline.texts import category_name, sub_topic_name
from plaint.service.desk import DESK_ROLES
from plaint.service.notice_links import NOTICE_ROLES
from plaint.web.pages.i18n import DEFAULT_LANGUAGE, LANGUAGES, translate
from plaint.web.pages.labels import LOCAL_ZONE, Labels

__all__ = ["LOCAL_ZONE", "csrf_token", "flash", "language", "render", "render_public"]


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("plaint.web.pages", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a misspelt name fails the render, not blanks
    )
    environment.filters["when"] = _when
    environment.globals["desk_roles"] = DESK_ROLES  # who sees "New complaint"
    environment.globals["notice_roles"] = NOTICE_ROLES  # who sees the public notices
    environment.globals["category_name"] = category_name  # codes in the viewer's words
    environment.globals["sub_topic_name"] = sub_topic_name
    return environment


def _when(value: datetime | None) -> str:
    return "—" if value is None else value.astimezone(LOCAL_ZONE).strftime("%Y-%m-%d %H:%M")


def _department_names(request: Request) -> dict[str, str]:
    """The configured department names by code (none for an app without the context)."""
    context = getattr(request.app.state, "plaint", None)
    config = getattr(context, "config", None)
    return {d.code: d.name for d in config.departments} if config is not None else {}


def language(request: Request) -> str:
    """The UI language the browser's session chose (``zh`` unless it chose ``en``)."""
    chosen = request.session.get("lang")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def csrf_token(request: Request) -> str:
    """The session's form token, made on first use; every form posts it back."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def flash(request: Request, message: str, *, error: bool = False) -> None:
    """Keep ``message`` for the next page the browser opens (then it is gone)."""
    request.session["flash"] = {"message": message, "error": error}


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` with ``context`` plus ``t`` (the UI text), ``lb`` (codes in
    words: :class:`~plaint.web.pages.labels.Labels`), ``csrf``, ``lang``, ``who`` (if not
    given) and the pending notice, as an HTML response with ``status``."""
    lang = language(request)
    context.setdefault("who", None)
    body = _environment().get_template(template).render(
        t=lambda key: translate(lang, key), lang=lang, csrf=csrf_token(request),
        lb=Labels(lang, _department_names(request)),
        notice=request.session.pop("flash", None), path=request.url.path, **context,
    )  # fmt: skip
    return HTMLResponse(body, status_code=status)


def render_public(template: str, *, lang: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` for a visitor who is not signed in: ``t`` in ``lang`` (``zh``
    unless ``en``), and nothing of a session (no form token, no notice, no cookie set)."""
    chosen = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    body = (
        _environment()
        .get_template(template)
        .render(t=lambda key: translate(chosen, key), lang=chosen, **context)
    )
    return HTMLResponse(body, status_code=status)
