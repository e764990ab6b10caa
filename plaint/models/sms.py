"""The table of the SMS channel: numbers that opted out. (Twilio's delivery statuses are
kept on the outbox row they are about, :mod:`plaint.service.twilio_status`.)"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from plaint.models.tables import Base

__all__ = ["SmsOptOut"]


class SmsOptOut(Base):
    """A phone number (E.164) that asked for no more messages (STOP, 退订, TD) or that
    Twilio refused with error 21610. While the row exists nothing is sent to the number
    except the one notification ``confirmation_key`` (the "you will get no more
    messages" answer); START or 订阅 deletes the row."""

    __tablename__ = "sms_opt_outs"

    phone: Mapped[str] = mapped_column(String(32), primary_key=True)
    reason: Mapped[str] = mapped_column(String(20))
    opted_out_at: Mapped[datetime]
    confirmation_key: Mapped[str | None] = mapped_column(String(300))
