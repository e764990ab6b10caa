"""Share links of the public notice (公示): one row per link given out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from plaint.models.tables import Base

__all__ = ["NoticeLink"]


class NoticeLink(Base):
    """A link to the public notice of ``community`` for ``month`` (``YYYY-MM``), stored as
    the SHA-256 of its token (256 random bits: a fast hash is enough, as for staff
    tokens). It answers until ``expires_at`` unless ``revoked_at`` is set; ``created_by``
    is the staff code that made it."""

    __tablename__ = "notice_links"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    community: Mapped[str] = mapped_column(String(200))
    month: Mapped[str] = mapped_column(String(7))
    expires_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
