"""Satisfaction from the follow-up survey (回访), as the monthly report reads it.

The report reads satisfaction only through :func:`survey_summary`. plaint does not store
survey answers yet (the resident loop adds them: a 1-5 reply to the satisfaction SMS after
closure); until then the function returns ``None`` and the report shows a "no survey data"
section. Wiring the survey in is this one function: count the answers to tickets received
in the period and return a :class:`SurveySummary`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

__all__ = ["SCORES", "SurveySummary", "survey_summary"]

SCORES = (1, 2, 3, 4, 5)  # the answers a resident can give, 5 = very satisfied
SATISFIED_FROM = 4  # answers of 4 and 5 count as satisfied


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
    """The survey answers about the tickets received in ``start <= t < end``; ``None``
    while plaint stores no survey answers (see the module docstring)."""
    del session, start, end  # read here once the survey's table exists
    return None
