"""**Public notice (公示)**: one community's month on one printable page without personal
data (:mod:`plaint.service.notice`), for the notice board, and an expiring share link for
the owners' committee (:mod:`plaint.service.notice_links`).

- ``/notices``: the communities, each with a link to last month's notice;
- ``/notices/{community}/{YYYY-MM}``: the notice, a print button, the share form and the
  links made so far (with a revoke button each). Signed in, roles
  :data:`~plaint.service.notice_links.NOTICE_ROLES` only (the desk, property and
  regional managers, admins: the notice counts every department's tickets, so a
  department's members and heads get the 404 page, as for the monthly report);
- ``/public/notices/{token}``: the notice for anyone holding a live link, without signing
  in: 404 for an unknown token, 410 (a page that says so) for an expired or revoked one.
  ``?lang=en`` shows it in English.

Every notice response is sent with :data:`PRIVATE_HEADERS`: not cached (a shared or
public computer), no ``Referer`` carrying the token to another site, not indexed.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from plaint.errors import PlaintError
from plaint.pipeline.kpi import CLOSURE_TARGET, FIRST_RESPONSE_TARGET
from plaint.pipeline.texts import category_name, sub_topic_name
from plaint.service.directory import StaffIdentity
from plaint.service.notice import Notice, communities, has_residents, notice_figures
from plaint.service.notice_links import (
    DEFAULT_DAYS,
    MAX_DAYS,
    NOTICE_ROLES,
    LinkState,
    list_links,
    open_link,
    revoke_link,
    share_notice,
)
from plaint.service.reports import month_period
from plaint.web.deps import Context, DbSession, Now
from plaint.web.pages.auth import CsrfChecked, PageStaff
from plaint.web.pages.render import flash, language, render, render_public

__all__ = ["PRIVATE_HEADERS", "router"]

router = APIRouter(include_in_schema=False)

PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}
_MONTH = re.compile(r"^(20[0-9]{2})-(0[1-9]|1[0-2])$")


def _private(response: Response) -> Response:
    response.headers.update(PRIVATE_HEADERS)
    return response


def _sheet(notice: Notice, lang: str) -> dict[str, Any]:
    """What the notice sheet (``_notice.html``) needs besides the UI text."""
    return {
        "figures": notice,
        "category": lambda code: category_name(code, language=lang),
        "topic": lambda code: sub_topic_name(code, language=lang),
        "targets": (round(FIRST_RESPONSE_TARGET * 100), round(CLOSURE_TARGET * 100)),
    }


def _allowed(who: StaffIdentity) -> bool:
    return who.role in NOTICE_ROLES


def _last_month(now: datetime, context: Context) -> str:
    local = now.astimezone(context.config.timezone)
    year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    return f"{year:04d}-{month:02d}"


@router.get("/notices", response_class=HTMLResponse)
def index(request: Request, session: DbSession, who: PageStaff, now: Now, context: Context,
          month: str = "") -> Response:  # fmt: skip
    """The communities with a link each to the notice of ``month`` (default and when not
    ``YYYY-MM``: last month)."""
    if not _allowed(who):
        return render(request, "not_found.html", status=404, who=who)
    chosen = month if _MONTH.fullmatch(month) else _last_month(now, context)
    return render(request, "notices.html", who=who, communities=communities(session),
                  month=chosen)  # fmt: skip


def _notice_page(request: Request, session: DbSession, who: StaffIdentity, now: datetime,
                 context: Context, community: str, month: str, new_link: str | None = None,
                 ) -> Response:  # fmt: skip
    found = _MONTH.fullmatch(month)
    if not _allowed(who) or found is None or not has_residents(session, community):
        return _private(render(request, "not_found.html", status=404, who=who))
    period = month_period(year=int(found[1]), month=int(found[2]), tz=context.config.timezone)
    notice = notice_figures(session, community=community, period=period, now=now)
    links = [(link, link.state(now).value) for link in
             list_links(session, community=community, month=month)]  # fmt: skip
    return _private(render(request, "notice.html", who=who, links=links, new_link=new_link,
                           default_days=DEFAULT_DAYS, max_days=MAX_DAYS,
                           **_sheet(notice, language(request))))  # fmt: skip


@router.get("/notices/{community}/{month}", response_class=HTMLResponse)
def notice(request: Request, community: str, month: str, session: DbSession, who: PageStaff,
           now: Now, context: Context) -> Response:  # fmt: skip
    """The notice of ``community`` for ``month`` (404 page for other roles, a bad month or a
    community nobody is registered in)."""
    return _notice_page(request, session, who, now, context, community, month)


@router.post("/notices/{community}/{month}/share", dependencies=[CsrfChecked])
def share(request: Request, community: str, month: str, session: DbSession, who: PageStaff,
          now: Now, context: Context, days: Annotated[int, Form()] = DEFAULT_DAYS,
          ) -> Response:  # fmt: skip
    """Make a share link and show the notice page with it, this once (never redirected
    through the session cookie, which would carry the token)."""
    if (
        not _allowed(who)
        or _MONTH.fullmatch(month) is None
        or not has_residents(session, community)
    ):
        return _private(render(request, "not_found.html", status=404, who=who))
    try:
        with context.writer.begin() as writer:
            token, _ = share_notice(writer, community=community, month=month, days=days,
                                    actor=who, now=now)  # fmt: skip
    except PlaintError as exc:
        flash(request, str(exc), error=True)
        return RedirectResponse(request.url.path.rsplit("/", 1)[0], status_code=303)
    url = str(request.url_for("public_notice", token=token))
    return _notice_page(request, session, who, now, context, community, month, new_link=url)


@router.post("/notices/{community}/{month}/revoke", dependencies=[CsrfChecked])
def revoke(request: Request, community: str, month: str, who: PageStaff, now: Now,
           context: Context, link: Annotated[int, Form()]) -> Response:  # fmt: skip
    """Revoke share link ``link``; back to the notice page."""
    try:
        with context.writer.begin() as writer:
            revoke_link(writer, link, actor=who, now=now)
    except PlaintError as exc:
        flash(request, str(exc), error=True)
    return RedirectResponse(request.url.path.rsplit("/", 1)[0], status_code=303)


@router.get("/public/notices/{token}", response_class=HTMLResponse, name="public_notice")
def public_notice(token: str, session: DbSession, now: Now, context: Context,
                  lang: str = "zh") -> Response:  # fmt: skip
    """The notice of a live link, without signing in; 404 unknown, 410 expired or revoked."""
    link = open_link(session, token[:100])
    if link is None:
        return _private(render_public("notice_gone.html", lang=lang, status=404, gone=False))
    if link.state(now) is not LinkState.LIVE:
        return _private(render_public("notice_gone.html", lang=lang, status=410, gone=True))
    year, month = (int(part) for part in link.month.split("-"))
    period = month_period(year=year, month=month, tz=context.config.timezone)
    figures = notice_figures(session, community=link.community, period=period, now=now)
    return _private(render_public("notice_public.html", lang=lang, **_sheet(figures, lang)))
