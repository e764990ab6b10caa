"""**Ticket**: one ticket's messages (with the delivery of each reply), its SLA timeline
(the ticket detail's :class:`~plaint.service.timeline.SlaTimeline`: what ``plaint tickets
explain`` prints, shown as tables in the viewer's language), its audit trail, and the
staff actions as forms.

A form posts to ``/tickets/{number}/act`` with its ``action``; the view calls the same
service function as the API (:mod:`plaint.service.ticket_actions`,
:mod:`plaint.service.replies`, :mod:`plaint.service.merge`) in one write transaction, then
sends the browser back to the ticket with a notice (PRG), or to Today when the member can
no longer see it (they transferred it away).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from plaint.errors import NotFoundError, PlaintError
from plaint.service import merge as merging
from plaint.service import replies, ticket_actions
from plaint.service.directory import StaffIdentity, list_staff
from plaint.service.outbox_view import list_outbox
from plaint.service.staff import Action
from plaint.service.tickets import get_ticket, ticket_detail
from plaint.web.deps import Context, DbSession, Now, TicketNumberPath, WebContext
from plaint.web.pages.auth import CsrfChecked, PageStaff
from plaint.web.pages.i18n import translate
from plaint.web.pages.render import flash, language, render

__all__ = ["ACTIONS", "router"]

router = APIRouter(include_in_schema=False)

# The actions a form may post, in the order the page shows them.
ACTIONS = ("reply", "note", "claim", "assign", "transfer", "wait", "resume", "resolve",
           "close", "reopen", "reclassify", "acknowledge", "merge")  # fmt: skip
_RECLASSIFY_FIELDS = ("sub_topic", "category", "level", "urgency")


def not_found(request: Request, who: StaffIdentity) -> Response:
    """The 404 page: the same for a ticket that does not exist and one of another
    department (a number reveals nothing)."""
    return render(request, "not_found.html", status=404, who=who)


@router.get("/tickets/{number}", response_class=HTMLResponse)
def ticket_page(
    request: Request, number: TicketNumberPath, session: DbSession, who: PageStaff, now: Now,
    context: Context,
) -> Response:  # fmt: skip
    """The ticket page, or the 404 page."""
    try:
        ticket = get_ticket(session, number=number, who=who)
    except NotFoundError:
        return not_found(request, who)
    detail = ticket_detail(session, ticket=ticket, config=context.config, now=now, who=who)
    outbox = list_outbox(session, ticket_id=ticket.id, limit=200).rows
    departments = [d.code for d in context.config.departments]
    # Whom the ticket can be given to: the active staff who can see its department.
    staff = [s.entry.code for s in list_staff(session)
             if s.entry.active and s.entry.department in (None, detail.department)]  # fmt: skip
    return render(
        request, "ticket.html", who=who, ticket=detail, outbox=outbox, actions=ACTIONS,
        delivery={(row.sent_at or row.next_attempt_at): row for row in outbox},
        departments=departments, staff=staff, idempotency=uuid.uuid4().hex,
    )  # fmt: skip


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _codes(form: Mapping[str, Any]) -> dict[str, Any]:
    codes: dict[str, Any] = {key: _text(form, key) for key in _RECLASSIFY_FIELDS}
    codes = {key: value for key, value in codes.items() if value}
    if "level" in codes:
        codes["level"] = int(codes["level"]) if codes["level"].isdigit() else codes["level"]
    return codes


def _call(
    action: str, form: Mapping[str, Any], context: WebContext
) -> tuple[Callable[..., Any], dict[str, Any]]:
    """The service function for ``action`` and its arguments from ``form``."""
    config = {"config": context.config}
    simple = {"resume": Action.RESUME, "close": Action.CLOSE, "reopen": Action.REOPEN,
              "acknowledge": Action.ACKNOWLEDGE}  # fmt: skip
    if action in simple:
        return ticket_actions.perform, {**config, "action": simple[action]}
    calls: dict[str, tuple[Callable[..., Any], dict[str, Any]]] = {
        "reply": (replies.reply, {**config, "text": _text(form, "text"),
                                  "idempotency_key": _text(form, "idempotency") or None}),
        "note": (replies.add_note, {"text": _text(form, "text")}),
        "claim": (ticket_actions.claim, config),
        "assign": (ticket_actions.perform, {**config, "action": Action.ASSIGN,
                                            "target": _text(form, "to")}),
        "transfer": (ticket_actions.perform, {**config, "action": Action.TRANSFER,
                     "target": _text(form, "department"),
                     "details": {"reason": _text(form, "reason")}}),
        "wait": (ticket_actions.perform, {**config, "action": Action.WAIT,
                                          "details": {"needed": _text(form, "needed")}}),
        "resolve": (ticket_actions.perform, {**config, "action": Action.RESOLVE,
                    "details": {"resolution": _text(form, "resolution")}}),
        "reclassify": (ticket_actions.reclassify_codes, {**config, "codes": _codes(form)}),
        "merge": (merging.merge, {**config, "into": _text(form, "into")}),
    }  # fmt: skip
    return calls[action]


@router.post("/tickets/{number}/act", dependencies=[CsrfChecked])
async def act(
    request: Request, number: TicketNumberPath, who: PageStaff, now: Now, context: Context
) -> Response:
    """Apply the form's action as the signed-in member; back to the ticket with a notice
    (the error's message when the service refused), the 404 page for a ticket they may
    not see, Today when they no longer see it afterwards."""
    form = await request.form()
    action = _text(form, "action")
    if action not in ACTIONS:
        flash(request, f"unknown action {action!r}", error=True)
        return RedirectResponse(f"/tickets/{number}", status_code=303)
    call, kwargs = _call(action, form, context)
    try:
        with context.writer.begin() as session:
            call(session, number=number, who=who, at=now, **kwargs)
    except NotFoundError as exc:
        if action in ("merge", "assign"):
            flash(request, str(exc), error=True)
            return RedirectResponse(f"/tickets/{number}", status_code=303)
        return not_found(request, who)
    except (PlaintError, ValueError) as exc:
        flash(request, str(exc), error=True)
        return RedirectResponse(f"/tickets/{number}", status_code=303)
    flash(request, f"{number}: {translate(language(request), action)} ✓")
    back = _text(form, "back")
    if not (back.startswith("/") and not back.startswith("//")):
        back = _back(context, number, who) if action == "transfer" else f"/tickets/{number}"
    return RedirectResponse(back, status_code=303)


def _back(context: WebContext, number: str, who: StaffIdentity) -> str:
    """The ticket if ``who`` still sees it after a transfer, else Today."""
    with context.sessions() as session:
        try:
            get_ticket(session, number=number, who=who)
        except NotFoundError:
            return "/today"
    return f"/tickets/{number}"
