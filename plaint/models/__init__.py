"""SQLAlchemy 2 models, sessions and Alembic migrations of plaint's state."""

from plaint.models.db import create_db_engine, session_factory
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
    Resident,
    SlaClockEvent,
    SlaMark,
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
    "Inbox",
    "InboxStatus",
    "Incident",
    "Message",
    "Notification",
    "Resident",
    "SlaClockEvent",
    "SlaMark",
    "Ticket",
    "TicketEvent",
    "TicketLshKey",
    "TicketStatus",
    "create_db_engine",
    "session_factory",
]
