"""**Queues**: tickets filtered by department, status, assignee, category, community and
channel, paged (:func:`plaint.service.tickets.list_tickets`), and the desk's **review**
queue: open tickets classified below the review threshold, each with a one-click
correction that posts ``reclassify`` to the ticket's action form."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from plaint.errors import PermissionDeniedError
from plaint.inbound import ChannelKind
from plaint.models import TicketStatus
from plaint.service.tickets import TicketFilters, list_tickets
from plaint.web.deps import Context, DbSession, Now
from plaint.web.pages.auth import PageStaff
from plaint.web.pages.render import render

__all__ = ["PAGE_SIZE", "router"]

router = APIRouter(include_in_schema=False)

# Tickets per page of a queue.
PAGE_SIZE = 50
_FILTERS = ("department", "status", "assignee", "category", "community", "channel")


def _filters(request: Request) -> dict[str, str]:
    values = {name: request.query_params.get(name, "").strip() for name in _FILTERS}
    return {name: value[:200] for name, value in values.items() if value and "\x00" not in value}


@router.get("/queues", response_class=HTMLResponse)
def queues(
    request: Request, session: DbSession, who: PageStaff, now: Now, context: Context,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1, review: bool = False,
) -> Response:  # fmt: skip
    """One page of a queue; ``review``: the review queue. A member asking for another
    department's queue is shown their own (the list is limited as the API's is)."""
    chosen = _filters(request)
    filters = TicketFilters(**chosen)  # type: ignore[arg-type]
    if review:
        filters = replace(filters, below_confidence=context.config.routing.review_threshold)
    if not who.sees_all_departments:
        filters = replace(filters, department=who.department)
    try:
        listed = list_tickets(session, filters=filters, who=who, now=now, limit=PAGE_SIZE,
                              offset=(page - 1) * PAGE_SIZE)  # fmt: skip
    except PermissionDeniedError:  # a member without a department
        listed = None
    return render(
        request, "queues.html", who=who, listed=listed, chosen=chosen, page=page,
        review=review, statuses=[s.value for s in TicketStatus], page_size=PAGE_SIZE,
        departments=[d.code for d in context.config.departments],
        categories=sorted({c for c, _, _ in context.config.taxonomy.sub_topics.values()}),
        sub_topics=sorted(context.config.taxonomy.sub_topics),
        channels=[kind.value for kind in ChannelKind],
    )  # fmt: skip
