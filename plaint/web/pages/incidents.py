"""**Incidents**: open series complaints with the residents who reported them, and one
form that resolves them all (it resolves one open report through the ticket's action
form; :mod:`plaint.service.incident_list` says why that resolves every report)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from plaint.service.incident_list import list_incidents
from plaint.web.deps import DbSession
from plaint.web.pages.auth import PageStaff
from plaint.web.pages.render import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/incidents", response_class=HTMLResponse)
def incidents(request: Request, session: DbSession, who: PageStaff) -> Response:
    """The open incidents of the departments the member may see."""
    return render(request, "incidents.html", who=who, incidents=list_incidents(session, who=who))
