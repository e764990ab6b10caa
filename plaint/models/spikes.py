"""Early-warning spikes (预警) as the sweep found them: one row per episode of one
sub-topic being unusually frequent in one place."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from plaint.models.tables import Base

__all__ = ["WarningSpike"]


class WarningSpike(Base):
    """One spike episode of ``sub_topic`` at ``place`` (``community`` or
    ``community/building``): open (``ended_at`` NULL) from the sweep that first flagged
    it until a sweep finds it unflagged a whole window after ``last_flagged_at``. At most
    one open episode per place and sub-topic (a partial unique index): the sweep that
    inserts it — and only that one — notifies, so a spike is announced once however long
    it lasts and however many sweeps run at once; a later episode is a new row."""

    __tablename__ = "warning_spikes"
    __table_args__ = (
        Index("uq_warning_spikes_open", "place", "sub_topic", unique=True,
              postgresql_where=text("ended_at IS NULL"),
              sqlite_where=text("ended_at IS NULL")),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    place: Mapped[str] = mapped_column(String(260))
    sub_topic: Mapped[str] = mapped_column(String(50))
    started_at: Mapped[datetime]
    last_flagged_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    # The figures of the sweep that last flagged it.
    recent: Mapped[int] = mapped_column(Integer)
    expected: Mapped[float] = mapped_column(Float)
    p_value: Mapped[float] = mapped_column(Float)
