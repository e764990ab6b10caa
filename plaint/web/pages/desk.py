"""**New complaint**: the desk's form for a complaint taken by phone, in person (来访) or
in writing (书面/信函), with the resident found as you type.

The form posts to ``/tickets/new``, which calls :func:`plaint.service.desk.take_complaint`
as ``POST /api/v1/tickets`` does (CSRF token; the form's hidden ``idempotency`` key makes a
double submit record once), enqueues triage and sends the browser to
``/tickets/new/{inbox_id}``: the inbox item while it waits for triage (the page reloads
itself), the ticket once triaged. ``/tickets/new/residents?q=`` answers the form's
look-up as JSON, for the session's member, for the roles that record complaints only.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from plaint.errors import PlaintError
from plaint.service.desk import DESK_ROLES, DeskComplaint, DeskMode, intake_status, take_complaint
from plaint.service.resident_search import find_residents
from plaint.service.retry import enqueue_stored
from plaint.service.store import StoredItem
from plaint.web.deps import Context, DbSession, Now
from plaint.web.pages.auth import CsrfChecked, PageStaff
from plaint.web.pages.render import LOCAL_ZONE, flash, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_TEXT_FIELDS = ("subject", "phone", "email", "name", "community", "building", "unit",
                "category", "sub_topic", "department")  # fmt: skip


def _forbidden(request: Request, who: Any) -> Response:
    return render(request, "forbidden.html", status=403, who=who)


@router.get("/tickets/new", response_class=HTMLResponse)
def new_form(request: Request, who: PageStaff, now: Now, context: Context) -> Response:
    """The form (403 for roles that do not record complaints)."""
    if who.role not in DESK_ROLES:
        return _forbidden(request, who)
    return render(
        request, "new_complaint.html", who=who, modes=[m.value for m in DeskMode],
        departments=[d.code for d in context.config.departments],
        now=now.astimezone(LOCAL_ZONE).strftime("%Y-%m-%dT%H:%M"), key=uuid.uuid4().hex,
    )  # fmt: skip


@router.get("/tickets/new/residents")
def residents(session: DbSession, who: PageStaff, q: str = "") -> Response:
    """The residents matching ``q`` (phone, unit or name prefix) as JSON; 403 for roles
    that may not see residents' contacts."""
    if who.role not in DESK_ROLES:
        return JSONResponse({"residents": []}, status_code=403)
    found = find_residents(session, who=who, query=q[:100])
    return JSONResponse({"residents": [vars(match) for match in found]})


def _complaint(form: Mapping[str, Any]) -> DeskComplaint:
    """The complaint the form describes (blank fields: not given); ValueError for a bad
    mode or time."""
    text = {k: v.strip() for k in (*_TEXT_FIELDS, "text", "mode", "complained_at")
            if isinstance(v := form.get(k, ""), str)}  # fmt: skip
    given = {k: text[k] for k in _TEXT_FIELDS if text.get(k)}
    when = text.get("complained_at")
    complained_at = datetime.fromisoformat(when).replace(tzinfo=LOCAL_ZONE) if when else None
    return DeskComplaint(text=text.get("text", ""), mode=DeskMode(text.get("mode") or "phone"),
                         complained_at=complained_at, **given)  # fmt: skip


@router.post("/tickets/new", dependencies=[CsrfChecked])
async def take(request: Request, who: PageStaff, now: Now, context: Context) -> Response:
    """Record the form's complaint as the signed-in member; to its status page, or back
    to the form with the service's message when it refused."""
    form = await request.form()
    key = form.get("idempotency")
    try:
        complaint = _complaint(form)
        with context.writer.begin() as session:
            taken = take_complaint(session, complaint, actor=who, config=context.config,
                                   now=now, idempotency_key=key if isinstance(key, str) and key
                                   else None)  # fmt: skip
    except (PlaintError, ValueError) as exc:
        flash(request, str(exc), error=True)
        return RedirectResponse("/tickets/new", status_code=303)
    item = StoredItem(taken.inbox_id, created=taken.created, pending=taken.pending)
    enqueue_stored(context.writer, item, enqueue=context.enqueue)
    return RedirectResponse(f"/tickets/new/{taken.inbox_id}", status_code=303)


@router.get("/tickets/new/{inbox_id}", response_class=HTMLResponse)
def taken_page(request: Request, inbox_id: int, session: DbSession, who: PageStaff) -> Response:
    """The ticket once triaged; until then the item's status (the page reloads itself)."""
    try:
        status = intake_status(session, inbox_id, actor=who)
    except PlaintError:
        return _forbidden(request, who)
    if status.ticket is not None:
        return RedirectResponse(f"/tickets/{status.ticket}", status_code=303)
    return render(request, "taken.html", who=who, item=status)
