"""Satisfaction from the follow-up survey (回访), as the monthly report reads it.

The same answers as ``plaint report sla``'s satisfaction
(:func:`plaint.service.satisfaction.satisfaction`): those given in the period, scored
1-5 (comment-only answers are not counted). ``surveyed`` is the number of surveys that
went out in the period. ``None`` when there was neither a survey nor an answer, so the
report says "no survey data" rather than showing zeros.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plaint.models import Notification, NotificationStatus, SurveyAnswer
from plaint.service.satisfaction import SATISFIED_SCORE

__all__ = ["SCORES", "SurveySummary", "survey_summary"]

SCORES = (1, 2, 3, 4, 5)  # the answers a resident can give, 5 = very satisfied
SATISFIED_FROM = SATISFIED_SCORE  # answers of 4 and 5 count as satisfied


@dataclass(frozen=True)
class SurveySummary:
    """The answers about tickets received in a period: how many tickets were surveyed,
    and how many answers gave each score (``counts[score]``, every score of
    :data:`SCORES` present)."""

    surveyed: int
    counts: dict[int, int]

    @property
    def answered(self) -> int:
        """Answers received."""
        return sum(self.counts.values())

    @property
    def mean(self) -> float | None:
        """The mean score, ``None`` without answers."""
        total = sum(score * n for score, n in self.counts.items())
        return total / self.answered if self.answered else None

    @property
    def satisfied_share(self) -> float | None:
        """Share (0..1) of answers of :data:`SATISFIED_FROM` or more."""
        satisfied = sum(n for score, n in self.counts.items() if score >= SATISFIED_FROM)
        return satisfied / self.answered if self.answered else None


def survey_summary(session: Session, *, start: datetime, end: datetime) -> SurveySummary | None:
    """The survey answers given in ``start <= t < end`` and the surveys sent then; ``None``
    when there were neither (see the module docstring)."""
    surveyed = session.scalar(
        select(func.count()).select_from(Notification).where(
            Notification.template == "survey",
            Notification.status == NotificationStatus.SENT.value,
            Notification.not_before >= start, Notification.not_before < end,
        )
    ) or 0  # fmt: skip
    counts = dict.fromkeys(SCORES, 0)
    rows = session.execute(
        select(SurveyAnswer.score, func.count()).where(
            SurveyAnswer.answered_at >= start, SurveyAnswer.answered_at < end,
            SurveyAnswer.score.is_not(None),
        ).group_by(SurveyAnswer.score)
    )  # fmt: skip
    for score, n in rows:
        counts[int(score or 0)] = int(n)
    if not surveyed and not any(counts.values()):
        return None
    return SurveySummary(surveyed=surveyed, counts=counts)
