"""**Early warning (预警)**: sub-topics unusually frequent in one building or community
now (:func:`plaint.service.early_warning.current_warnings`), with the tickets behind each.

Every signed-in member of staff may open it; a member or department head sees only the
spikes that include tickets of their department, and only those tickets (the service's
rule, the same as the other pages')."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from plaint.config.early_warning import EarlyWarningConfig
from plaint.pipeline.texts import sub_topic_name
from plaint.service.early_warning import current_warnings
from plaint.web.deps import Context, DbSession, Now
from plaint.web.pages.auth import PageStaff
from plaint.web.pages.i18n import translate
from plaint.web.pages.render import language, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/warnings", response_class=HTMLResponse)
def warnings(
    request: Request, session: DbSession, who: PageStaff, now: Now, context: Context
) -> Response:
    """The spikes at ``now`` the member may see, most improbable first."""
    config = context.config
    lang = language(request)
    return render(
        request, "warnings.html", who=who,
        warnings=current_warnings(session, config=config, now=now, viewer=who),
        explained=_explained(config.early_warning, lang),
        topic=lambda code: sub_topic_name(code, language=lang),
    )  # fmt: skip


def _explained(settings: EarlyWarningConfig, lang: str) -> str:
    """The test in one sentence of the member's language."""
    test = settings.test
    return translate(lang, "warnings_help").format(
        hours=f"{test.window.total_seconds() / 3600:g}", weeks=f"{settings.baseline.days / 7:g}",
        p=f"{test.significance:g}", min=test.min_count,
    )  # fmt: skip
