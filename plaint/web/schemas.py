"""The API's response bodies (pydantic models, read from the service layer's values).

Times are ISO 8601 in UTC. Complaint text and residents' contacts appear here because
staff need them; they never appear in logs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from plaint.service.tickets import AT_RISK_WINDOW

__all__ = [
    "AT_RISK",
    "BREACHED",
    "PROVISIONAL",
    "ClockEventOut",
    "ClockOut",
    "EventOut",
    "Instant",
    "MarkOut",
    "MessageOut",
    "MomentOut",
    "Readiness",
    "ResidentOut",
    "SlaTimelineOut",
    "Status",
    "TicketDetailOut",
    "TicketItem",
    "TicketList",
]


def _in_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


AT_RISK = (
    "a clock still running (ticket open or responded) has no breach yet in its current "
    "cycle, and a warning fired for it or it is due within "
    f"{AT_RISK_WINDOW.total_seconds() / 3600:g} hours"
)
BREACHED = "the SLA sweep recorded a breach (either clock, any cycle)"
PROVISIONAL = (
    "a due time was counted through a calendar year whose make-up working days are not "
    "published yet (statutory holidays only); recomputed when the schedule is added"
)

# An instant, always shown in UTC (due times computed in the calendar's zone included).
Instant = Annotated[datetime, AfterValidator(_in_utc)]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)


class Status(_Out):
    """The process is alive."""

    status: str = "ok"


class Readiness(_Out):
    """Whether the process can serve: ``failed`` names what did not answer."""

    status: str = Field(description='"ok", or "unavailable" when anything failed')
    failed: list[str] = Field(description='what did not answer: "database", "redis"')


class TicketItem(_Out):
    """One ticket in a list."""

    number: str = Field(examples=["TS-2026-000123"])
    status: str = Field(description="open, responded, waiting, resolved or closed")
    department: str = Field(description="the owning department's code")
    category: str
    sub_topic: str
    level: int = Field(description="1 ordinary, 2 major or serial")
    urgency: str = Field(description="emergency or normal")
    assignee: str | None = Field(description="the staff code handling it")
    received_at: Instant
    first_response_due: Instant | None
    closure_due: Instant | None
    next_sla_at: Instant | None = Field(description="when the SLA sweep next acts on it")
    breached: bool = Field(description=BREACHED)
    at_risk: bool = Field(description=AT_RISK)
    provisional: bool = Field(description=PROVISIONAL)


class TicketList(_Out):
    """A page of tickets; ``total`` counts every match."""

    items: list[TicketItem]
    total: int
    limit: int
    offset: int


class ResidentOut(_Out):
    """Who complained and how to reach them: ``phone``, ``email``, ``building`` and
    ``unit`` are ``null`` for staff who do not handle contacts (see
    :mod:`plaint.service.permissions`)."""

    name: str
    phone: str | None
    email: str | None
    community: str | None
    building: str | None
    unit: str | None


class MessageOut(_Out):
    """One message of the conversation."""

    direction: str = Field(description="in or out")
    channel: str
    sender: str | None = Field(
        description="an inbound message's is the resident's address: null, like the "
        "resident's contact, for staff who do not handle contacts"
    )
    subject: str
    body: str
    created_at: Instant


class EventOut(_Out):
    """One entry of the audit trail; ``data`` holds codes and ids."""

    kind: str
    at: Instant
    actor: str
    data: dict[str, Any]


class ClockEventOut(_Out):
    """One stored event of an SLA clock."""

    clock: str
    kind: str = Field(description="started, paused, resumed, met, restarted, acknowledged")
    at: Instant
    actor: str


class MarkOut(_Out):
    """A warning, breach or escalation step that fired."""

    clock: str
    cycle: int
    mark: str = Field(examples=["warn:50", "breach", "escalate:1"])
    due_at: Instant
    fired_at: Instant


class MomentOut(_Out):
    """A warning, breach or escalation step to come (``overdue``: fires on the next sweep)."""

    clock: str
    cycle: int
    mark: str
    at: Instant
    overdue: bool


class ClockOut(_Out):
    """One clock as its events leave it."""

    clock: str = Field(description="first_response or closure")
    cycle: int
    budget_kind: str = Field(description="clock (elapsed time) or working (working days)")
    budget_seconds: float
    state: str = Field(description="not_started, running, paused, met, met_late or breached")
    started_at: Instant | None
    due: Instant | None
    met_at: Instant | None
    paused_since: Instant | None
    acknowledged_at: Instant | None
    pauses: list[tuple[Instant, Instant]]
    provisional: bool = Field(description=f"due is provisional: {PROVISIONAL}")


class SlaTimelineOut(_Out):
    """How the due times came about, as data and as the lines of ``plaint tickets
    explain``."""

    policy: str | None
    warn_at: list[float]
    clocks: list[ClockOut]
    clock_events: list[ClockEventOut]
    marks: list[MarkOut]
    upcoming: list[MomentOut]
    explanation: list[str]
    error: str | None
    provisional_years: list[int] = Field(
        description="the provisional calendar years the due times depend on (none: final)"
    )


class TicketDetailOut(TicketItem):
    """One ticket with its resident, messages, audit trail and SLA timeline."""

    channel: str
    subject: str
    scope: int
    validity: str
    confidence: float
    sla_policy: str | None
    first_responded_at: Instant | None
    closed_at: Instant | None
    incident_id: int | None
    resident: ResidentOut | None
    messages: list[MessageOut]
    events: list[EventOut]
    sla: SlaTimelineOut
