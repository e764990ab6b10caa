"""The tables of plaint's state. Times are stored timezone-aware (UTC on SQLite).

The durable inbox is the record of everything that arrived: a row per (source,
external_id), raw payload kept, written before the source is acked. Tickets carry their
public number, their codes and their two deadlines; every change to a ticket is a
:class:`TicketEvent`, the audit trail.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import false

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
    "NotificationStatus",
    "Resident",
    "SlaClockEvent",
    "SlaMark",
    "Ticket",
    "TicketEvent",
    "TicketLshKey",
    "TicketStatus",
]


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime in every dialect: SQLite stores UTC and gets it back aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every plaint table."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime, dict[str, Any]: JSON}


class InboxStatus(enum.StrEnum):
    """Where an inbox row is: waiting for triage, turned into a ticket or message, or
    quarantined because it cannot be understood (the reason is kept on the row)."""

    PENDING = "pending"
    DONE = "done"
    QUARANTINED = "quarantined"


class TicketStatus(enum.StrEnum):
    """The life of a ticket."""

    OPEN = "open"
    RESPONDED = "responded"
    WAITING = "waiting"
    RESOLVED = "resolved"
    CLOSED = "closed"


# The statuses in which a ticket still needs work (and can absorb follow-ups).
OPEN_STATUSES = (TicketStatus.OPEN, TicketStatus.RESPONDED, TicketStatus.WAITING)


class Inbox(Base):
    """One item as it arrived from a source, before triage."""

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_inbox_source_external_id"),
        Index("ix_inbox_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str] = mapped_column(String(500))
    channel: Mapped[str] = mapped_column(String(20))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime]
    created_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default=InboxStatus.PENDING)
    error: Mapped[str | None] = mapped_column(String(200))
    processed_at: Mapped[datetime | None]
    # Triage attempts that failed (the reason of the last one is in ``error``).
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # When a triage message was last sent for this row; None: never (the send failed).
    enqueued_at: Mapped[datetime | None]


class ChannelCursor(Base):
    """How far a source has been read and acked; the value's format is the channel's own."""

    __tablename__ = "channel_cursors"

    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


class Counter(Base):
    """Named monotonic counters, e.g. the ticket sequence of one year."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class Department(Base):
    """A department that owns tickets, kept in step with the TOML configuration."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Resident(Base):
    """A resident, known by normalised phone (E.164) or email address."""

    __tablename__ = "residents"
    __table_args__ = (Index("ix_residents_place", "building", "unit", "community"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str | None] = mapped_column(String(32), unique=True)
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    community: Mapped[str | None] = mapped_column(String(200))
    building: Mapped[str | None] = mapped_column(String(50))
    unit: Mapped[str | None] = mapped_column(String(50))
    language: Mapped[str] = mapped_column(String(10), default="zh")
    # The language set for this resident by staff (plaint residents language): wins over
    # the language detected in their messages. NULL: detected.
    language_override: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime]


class Ticket(Base):
    """A complaint being handled, with its codes and its two deadlines."""

    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_status_department", "status", "department_id"),
        # Dedupe looks up a resident's recent tickets; reports read a month by receipt.
        Index("ix_tickets_resident_received", "resident_id", "received_at"),
        Index("ix_tickets_received_at", "received_at"),
        # Series lookups read the open tickets of a recent window.
        Index("ix_tickets_status_received", "status", "received_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=TicketStatus.OPEN)
    channel: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(500), default="")
    category: Mapped[str] = mapped_column(String(50))
    sub_topic: Mapped[str] = mapped_column(String(50))
    scope: Mapped[int]
    level: Mapped[int]
    urgency: Mapped[str] = mapped_column(String(20))
    validity: Mapped[str] = mapped_column(String(20))
    confidence: Mapped[float] = mapped_column(Float)
    # The resident's language (ISO 639-1, "und" when undetermined) of the first message;
    # NULL for tickets opened before it was recorded.
    language: Mapped[str | None] = mapped_column(String(8))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    received_at: Mapped[datetime]
    created_at: Mapped[datetime]
    first_response_due: Mapped[datetime | None]
    first_responded_at: Mapped[datetime | None]
    closure_due: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # The resolution clock (only under a policy that runs one; else NULL): its due time,
    # and when the plan (investigation and a solution or initial plan) met the closure
    # clock. Resolved is ``closed_at``.
    resolution_due: Mapped[datetime | None]
    planned_at: Mapped[datetime | None]
    # The next instant at which the SLA sweep must look at this ticket; NULL when none.
    next_sla_at: Mapped[datetime | None] = mapped_column(index=True)
    # The SLA policy in force (a name from the configuration); NULL: no clocks (invalid).
    sla_policy: Mapped[str | None] = mapped_column(String(100))
    # Whether a due time was computed through a provisional calendar year (statutory
    # holidays only, make-up working days unpublished): recomputed when the year is added.
    sla_provisional: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Whether the SLA sweep has recorded a ``breach`` mark for this ticket (any clock, any
    # cycle): a summary of ``sla_marks`` written in the transaction that adds the mark
    # (:func:`plaint.service.sla.sweep`), repaired by ``plaint sla recompute``; lists filter
    # on it instead of probing the marks of every open ticket.
    sla_breached: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The staff member handling the ticket (a staff code from the configuration).
    assignee: Mapped[str | None] = mapped_column(String(100))
    # The MinHash signature of the complaint text (near-duplicate checks), packed.
    text_signature: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The incident grouping this ticket with other residents' reports of one problem.
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)

    department: Mapped[Department] = relationship(lazy="joined")
    resident: Mapped[Resident | None] = relationship()
    messages: Mapped[list[Message]] = relationship(
        back_populates="ticket", order_by="Message.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id", cascade="all, delete-orphan"
    )
    clock_events: Mapped[list[SlaClockEvent]] = relationship(
        order_by="SlaClockEvent.id", cascade="all, delete-orphan"
    )


class Message(Base):
    """One message of a ticket's conversation, inbound or outbound."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    inbox_id: Mapped[int | None] = mapped_column(ForeignKey("inbox.id"), unique=True)
    direction: Mapped[str] = mapped_column(String(10))
    channel: Mapped[str] = mapped_column(String(20))
    sender: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(500), default="")
    body: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(500), index=True)
    # The language it is written in (ISO 639-1 or "und"); NULL for outbound messages and
    # messages stored before it was recorded.
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime]

    ticket: Mapped[Ticket] = relationship(back_populates="messages")


class TicketEvent(Base):
    """One entry of a ticket's audit trail: ``kind`` names what happened, ``data`` holds
    codes and ids (never complaint text)."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(50))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class SlaClockEvent(Base):
    """One event of one SLA clock of a ticket; due times are recomputed from these."""

    __tablename__ = "sla_clock_events"
    # A clock's current cycle (how often it was restarted), counted for every listed or
    # counted ticket by the at-risk flag (plaint.service.tickets): from the index alone.
    __table_args__ = (Index("ix_sla_clock_events_ticket_clock_kind", "ticket_id", "clock", "kind"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    clock: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    # The new due instant of an extension (kind "extended"); NULL for the other kinds.
    until: Mapped[datetime | None]


class SlaMark(Base):
    """A warning, breach or escalation step that fired: at most once per ticket, clock,
    cycle and mark, whatever the retries."""

    __tablename__ = "sla_marks"
    __table_args__ = (
        UniqueConstraint("ticket_id", "clock", "cycle", "mark", name="uq_sla_marks_once"),
        # Whether a ticket breached (any clock, any cycle): one probe of the index alone.
        Index("ix_sla_marks_ticket_mark", "ticket_id", "mark"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    clock: Mapped[str] = mapped_column(String(20))
    cycle: Mapped[int]
    mark: Mapped[str] = mapped_column(String(30))
    due_at: Mapped[datetime]
    fired_at: Mapped[datetime]


class NotificationStatus(enum.StrEnum):
    """Where an outbox row is. ``sending``: an attempt was recorded and its result was not
    (yet): a row found ``sending`` after its lease is asked about before any resend."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class Notification(Base):
    """The outbox: one message to send to staff or a resident. ``key`` makes it exactly
    once; ``not_before`` is when the dispatcher may next try it: held until the
    recipient's working hours (unless urgent), then moved on by each retry's backoff and
    each attempt's lease. Due rows are claimed through ``(status, not_before)``."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_status_not_before", "status", "not_before"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    recipient_kind: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(320))
    template: Mapped[str] = mapped_column(String(100))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    urgent: Mapped[bool] = mapped_column(default=False)
    not_before: Mapped[datetime]
    created_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default="pending")
    sent_at: Mapped[datetime | None]
    # The channel it goes out on ("sms", "email"); NULL until the dispatcher chooses one.
    channel: Mapped[str | None] = mapped_column(String(20))
    # Send attempts recorded (each before its send), when the first was, and the last
    # failure's reason (a code or short phrase, never personal data).
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    first_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(200))
    # The provider's id for the message (a Twilio SID, the Message-ID) and its last status.
    provider_id: Mapped[str | None] = mapped_column(String(500))
    provider_status: Mapped[str | None] = mapped_column(String(30))
    # SMS segments the message took (GSM-7 160/153, UCS-2 70/67), when the provider says.
    segments: Mapped[int | None]
    updated_at: Mapped[datetime | None]


class TicketLshKey(Base):
    """One locality-sensitive-hash band key of a ticket's text: tickets sharing a key are
    candidate near-duplicates, found through the index without scanning history."""

    __tablename__ = "ticket_lsh_keys"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class Incident(Base):
    """One problem reported by several residents (系列投诉): level 2, routed once; when it
    is resolved every reporter is told."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    sub_topic: Mapped[str] = mapped_column(String(50))
    community: Mapped[str | None] = mapped_column(String(200))
    building: Mapped[str | None] = mapped_column(String(50))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]


class StaffRecord(Base):
    """A member of staff: who handles tickets, who is escalated to, who may use the API.

    The directory is the ``[[staff]]`` tables of the TOML file (``origin = "config"``, kept
    in step at start-up) plus ``plaint staff import`` (``origin = "import"``)."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(30))
    department: Mapped[str | None] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(320))
    # Working hours as "09:00-12:00,13:30-18:00"; None: the company's staff hours.
    working_hours: Mapped[str | None] = mapped_column(String(100))
    on_duty: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    origin: Mapped[str] = mapped_column(String(20))
    updated_at: Mapped[datetime]


class StaffToken(Base):
    """An API token of a staff member, stored as the SHA-256 of the token (tokens are 256
    random bits, so a fast hash is enough: there is nothing to brute-force)."""

    __tablename__ = "staff_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
