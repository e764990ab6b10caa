"""SQLAlchemy 2 models, sessions and Alembic migrations of plaint's state."""

from plaint.models.db import create_db_engine, read_session_factory, session_factory
from plaint.models.mailtables import EmailFailure, StoredAttachment
from plaint.models.notices import NoticeLink
from plaint.models.sms import SmsOptOut
from plaint.models.spikes import WarningSpike
from plaint.models.surveys import SurveyAnswer
from plaint.models.tables import (
    OPEN_STATUSES,
    Base,
    ChannelCursor,
    Counter,
    Department,
    Inbox,
    InboxStatus,
    Incident,
    Message,
    Notification,
    NotificationStatus,
    Resident,
    SlaClockEvent,
    SlaMark,
    StaffRecord,
    StaffToken,
    Ticket,
    TicketEvent,
    TicketLshKey,
    TicketStatus,
)

__all__ = [
    "OPEN_STATUSES",
    "Base",
    "ChannelCursor",
    "Counter",
    "Department",
    "EmailFailure",
    "Inbox",
    "InboxStatus",
    "Incident",
    "Message",
    "NoticeLink",
    "Notification",
    "NotificationStatus",
    "Resident",
    "SlaClockEvent",
    "SlaMark",
    "SmsOptOut",
    "StaffRecord",
    "StaffToken",
    "StoredAttachment",
    "SurveyAnswer",
    "Ticket",
    "TicketEvent",
    "TicketLshKey",
    "TicketStatus",
    "WarningSpike",
    "create_db_engine",
    "read_session_factory",
    "session_factory",
]
