"""The monthly report as a page (``/reports/monthly?month=2026-11``): the same page as
``plaint report monthly`` writes (:mod:`plaint.service.monthly.report`), for the roles that
see every department (the report is company-wide; others get the 404 page)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from plaint.errors import ConfigError
from plaint.service.monthly.report import monthly_report
from plaint.web.deps import Context, DbSession, Now
from plaint.web.pages.auth import PageStaff
from plaint.web.pages.render import flash, render

__all__ = ["REPORT_HISTORY", "router"]

router = APIRouter(include_in_schema=False)

# Months before the report's month that its trend shows (as plaint report monthly's default).
REPORT_HISTORY = 6
Month = Annotated[str | None, Query(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$")]


@router.get("/reports/monthly", response_class=HTMLResponse)
def monthly(
    request: Request, session: DbSession, who: PageStaff, now: Now, context: Context,
    month: Month = None,
) -> Response:  # fmt: skip
    """The report of ``month`` (default: the month before now's, in the company's time
    zone), judged at now."""
    if not who.sees_all_departments:
        return render(request, "not_found.html", status=404, who=who)
    local = now.astimezone(context.config.timezone)
    year, number = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    if month is not None:
        year, number = (int(part) for part in month.split("-"))
    try:
        report = monthly_report(session, year=year, month=number, history=REPORT_HISTORY,
                                tz=context.config.timezone, now=now)  # fmt: skip
    except ConfigError as exc:  # matplotlib (the reports extra) is not installed
        flash(request, str(exc), error=True)
        return render(request, "not_found.html", status=503, who=who)
    return HTMLResponse(report.html)
