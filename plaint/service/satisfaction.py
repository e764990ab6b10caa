"""Satisfaction (回访) figures of a period: the follow-up survey's answers given in it,
per department, category, channel or community and overall, for ``plaint report sla``.

An answer belongs to the period in which it was given (``answered_at``); its department
and category are the ticket's when it was answered (kept on the answer). Satisfied means
a score of 4 or 5, unhappy 2 or less (:data:`plaint.pipeline.residentsms.LOW_SCORE`).
Comment-only answers have no score and are not counted.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import null, select
from sqlalchemy.orm import Session

from plaint.models import Department, Resident, SurveyAnswer, Ticket
from plaint.pipeline.kpi import NO_COMMUNITY, TOTAL_GROUP
from plaint.pipeline.residentsms import LOW_SCORE

__all__ = ["SATISFIED_SCORE", "SatisfactionRow", "satisfaction"]

SATISFIED_SCORE = 4  # a score at or above this counts as satisfied

_GROUPS: dict[str, Any] = {
    "department": Department.code,
    "category": SurveyAnswer.category,
    "channel": Ticket.channel,
    "community": Resident.community,
}


@dataclass(frozen=True)
class SatisfactionRow:
    """The answers of one group: how many, the mean score, satisfied and unhappy ones."""

    group: str
    answers: int
    mean: float
    satisfied: int
    unhappy: int

    def as_dict(self) -> dict[str, Any]:
        """The row as plain JSON values."""
        return {"group": self.group, "answers": self.answers, "mean": round(self.mean, 2),
                "satisfied": self.satisfied, "unhappy": self.unhappy}  # fmt: skip


def _row(group: str, scores: list[int]) -> SatisfactionRow:
    return SatisfactionRow(
        group=group, answers=len(scores), mean=sum(scores) / len(scores),
        satisfied=sum(s >= SATISFIED_SCORE for s in scores),
        unhappy=sum(s <= LOW_SCORE for s in scores),
    )  # fmt: skip


def satisfaction(
    session: Session, *, start: datetime, end: datetime, group_by: str | None = None
) -> list[SatisfactionRow]:
    """The scored answers given in ``start <= t < end``: one row per group of
    ``group_by`` (department, category, channel, community) sorted by name, then the
    total (:data:`~plaint.pipeline.kpi.TOTAL_GROUP`); no rows when there is no answer."""
    key = null() if group_by is None else _GROUPS[group_by]
    query = (
        select(key.label("grp"), SurveyAnswer.score)
        .join(Department, Department.id == SurveyAnswer.department_id)
        .join(Ticket, Ticket.id == SurveyAnswer.ticket_id)
        .outerjoin(Resident, Resident.id == Ticket.resident_id)
        .where(SurveyAnswer.answered_at >= start, SurveyAnswer.answered_at < end,
               SurveyAnswer.score.is_not(None))
    )  # fmt: skip
    groups: defaultdict[str, list[int]] = defaultdict(list)
    scores: list[int] = []
    for grp, score in session.execute(query):
        scores.append(int(score))
        if group_by is not None:
            groups[NO_COMMUNITY if grp is None else str(grp)].append(int(score))
    if not scores:
        return []
    return [_row(name, groups[name]) for name in sorted(groups)] + [_row(TOTAL_GROUP, scores)]
