"""The follow-up survey's answers (回访): one row per ticket and closure cycle."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plaint.models.tables import Base

__all__ = ["SurveyAnswer"]


class SurveyAnswer(Base):
    """A resident's answer to the survey of ``ticket_id``'s closure ``cycle`` (the n-th
    close): ``score`` 1-5 (满意 5, 基本满意 3, 不满意 1; ``None`` for a comment alone) and
    the free text. UNIQUE(ticket_id, cycle): the first answer of a cycle counts. The
    department and category are the ticket's when it was answered (what reports group
    by)."""

    __tablename__ = "survey_answers"
    __table_args__ = (UniqueConstraint("ticket_id", "cycle", name="uq_survey_answers_cycle"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    cycle: Mapped[int] = mapped_column(Integer)
    score: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    category: Mapped[str] = mapped_column(String(50))
    answered_at: Mapped[datetime] = mapped_column(index=True)
