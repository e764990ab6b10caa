"""``/api/v1/tickets``: the list (filtered, paged) and one ticket's whole record."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from plaint.models import TicketStatus
from plaint.service import tickets as service
from plaint.web.action_schemas import Code
from plaint.web.deps import Context, CurrentStaff, DbSession, Now, VisibleTicket
from plaint.web.errors import error_responses
from plaint.web.schemas import AT_RISK, BREACHED, TicketDetailOut, TicketList

__all__ = ["TicketQuery", "router"]

router = APIRouter(prefix="/tickets", tags=["tickets"])


class TicketQuery(BaseModel):
    """The filters and the page of ``GET /api/v1/tickets``; an unknown parameter is an
    error (422), so a typo never silently lists everything."""

    model_config = ConfigDict(extra="forbid")

    status: TicketStatus | None = None
    department: Code | None = Field(
        None,
        description="a department code; members and department heads may only name their "
        "own (403 otherwise) and see only their own without it",
    )
    assignee: Code | None = Field(None, description="a staff code")
    at_risk: bool | None = Field(None, description=AT_RISK)
    breached: bool | None = Field(None, description=BREACHED)
    limit: int = Field(service.DEFAULT_LIMIT, ge=1, le=service.MAX_LIMIT)
    offset: int = Field(0, ge=0)


@router.get(
    "", response_model=TicketList, summary="List tickets, newest first",
    responses=error_responses(403),
)  # fmt: skip
def list_tickets(
    session: DbSession, who: CurrentStaff, now: Now, query: Annotated[TicketQuery, Query()]
) -> TicketList:
    """The tickets the caller may see that match every filter given, newest received
    first, as one page (`limit`, `offset`) with the `total` number of matches."""
    filters = service.TicketFilters(
        status=query.status, department=query.department, assignee=query.assignee,
        at_risk=query.at_risk, breached=query.breached,
    )  # fmt: skip
    page = service.list_tickets(
        session, filters=filters, who=who, now=now, limit=query.limit, offset=query.offset
    )
    return TicketList.model_validate(page)


@router.get(
    "/{number}", response_model=TicketDetailOut, summary="One ticket, whole",
    responses=error_responses(404),
)  # fmt: skip
def show_ticket(
    session: DbSession, ticket: VisibleTicket, who: CurrentStaff, now: Now, context: Context
) -> TicketDetailOut:
    """The ticket with its resident, messages, audit trail and SLA timeline. Another
    department's ticket is answered 404, as if it did not exist. The resident's phone,
    email, building and unit are `null` unless the caller handles contacts: the desk,
    managers, admins, the department's head, or the member it is assigned to."""
    detail = service.ticket_detail(session, ticket=ticket, config=context.config, now=now,
                                   who=who)  # fmt: skip
    return TicketDetailOut.model_validate(detail)
