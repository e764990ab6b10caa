"""The bodies of the staff actions' requests and their one response.

Every text is bounded and refuses NUL (a database cannot store it); every body refuses
unknown keys, so a misspelt field is a 422 rather than silently ignored.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from plaint.web.schemas import EventOut, Instant

__all__ = [
    "MAX_TEXT",
    "ActionOut",
    "AssignIn",
    "Code",
    "MergeIn",
    "NoteIn",
    "PlanIn",
    "ReclassifyIn",
    "ReplyIn",
    "ResolveIn",
    "TicketNumber",
    "TransferIn",
    "WaitIn",
]

# The longest reply or note, in characters: Twilio's limit for one (multi-part) SMS.
MAX_TEXT = 1600
_NO_NUL = r"^[^\x00]*$"

Text = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT, pattern=_NO_NUL)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=_NO_NUL)]
TicketNumber = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=_NO_NUL)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReplyIn(_In):
    """A reply to the resident."""

    text: Text = Field(description="what the resident is told (sent as it is)")
    channel: Literal["sms", "email"] | None = Field(
        None, description="default: the channel the complaint came in on, else SMS, else email"
    )


class NoteIn(_In):
    """An internal note: staff see it in the audit trail; the resident never does."""

    text: Text


class AssignIn(_In):
    """Who handles the ticket: a staff code who can see its department."""

    to: Code = Field(description="a staff code", examples=["li.clean"])


class TransferIn(_In):
    """Another department takes the ticket (its clocks keep running)."""

    department: Code = Field(description="a department code", examples=["finance"])
    reason: Text


class WaitIn(_In):
    """Waiting on the resident: the clocks pause until ``resume``."""

    needed: Text = Field(description="what is needed from the resident")


class ResolveIn(_In):
    """The problem is solved: the closure clock is met (the resolution clock, under a
    policy that runs one)."""

    resolution: Text = Field(description="what was done")


class PlanIn(_In):
    """The investigation and a solution or initial plan: meets the closure clock under a
    policy with a resolution clock (else only recorded)."""

    plan: Text = Field(description="the investigation and the solution or initial plan")


class ReclassifyIn(_In):
    """New codes (at least one); recorded as a training example for the classifier."""

    sub_topic: Code | None = Field(None, description="a taxonomy sub-topic (sets the category)")
    category: Code | None = None
    level: Literal[1, 2] | None = None
    urgency: Literal["emergency", "normal"] | None = None


class MergeIn(_In):
    """The ticket this one duplicates: messages and resident move there, this one closes."""

    into: TicketNumber = Field(examples=["TS-2026-000123"])


class ActionOut(BaseModel):
    """The ticket after the action, and the event that recorded it."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    number: str
    action: str
    status: str = Field(description="open, responded, waiting, resolved or closed")
    department: str
    assignee: str | None
    sla_policy: str | None = Field(description="the SLA policy the due times follow")
    first_response_due: Instant | None
    closure_due: Instant | None
    event: EventOut
    replayed: bool = Field(
        description="the request repeated an earlier one (same Idempotency-Key): nothing changed"
    )
