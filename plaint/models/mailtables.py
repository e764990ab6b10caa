"""Tables of the email channel: the files that came with messages, addresses that bounce.

Kept apart from :mod:`plaint.models.tables` (same ``Base``): one concept per module.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plaint.models.tables import Base

__all__ = ["EmailFailure", "StoredAttachment"]


class StoredAttachment(Base):
    """One file of an inbound message: its bytes live in the blob store under ``sha256``
    (content-addressed, never in the database); ``position`` is its order in the mail."""

    __tablename__ = "attachments"
    __table_args__ = (
        UniqueConstraint("inbox_id", "position", name="uq_attachments_inbox_position"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inbox.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]


class EmailFailure(Base):
    """An email address our mail bounced from: the outbox prefers SMS for its resident
    while ``failing`` (a later mail from the address clears it)."""

    __tablename__ = "email_failures"

    address: Mapped[str] = mapped_column(String(320), primary_key=True)
    failing: Mapped[bool] = mapped_column(default=True)
    bounces: Mapped[int] = mapped_column(Integer, default=1)
    first_failed_at: Mapped[datetime]
    last_failed_at: Mapped[datetime]
    cleared_at: Mapped[datetime | None]
