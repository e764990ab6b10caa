"""The schema of the TOML business configuration: one pydantic model per table.

:class:`ConfigFile` is the whole file after the packaged defaults are merged in. Every
table refuses unknown keys and checks types and ranges; the ``[calendar]`` table is
:class:`~plaint.config.calendars.CalendarTable`, and ``[sla]``, ``[escalation]`` and
``[[staff]]`` are in :mod:`plaint.config.sla`. Codes that must exist elsewhere in the file
(departments, sub-topics, categories) are checked against the validation context of
:func:`~plaint.config.validation.references`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from plaint.config.calendars import CalendarTable
from plaint.config.sla import EscalationTable, SlaTable, StaffEntry
from plaint.config.validation import (
    CategoryRef,
    DepartmentRef,
    Fraction,
    Level,
    MatchTable,
    PositiveNumber,
    Scope,
    SubTopicRef,
    Table,
    Text,
    TimeZoneName,
    Urgency,
    key_error,
    matching,
)
from plaint.pipeline.route import DEFAULT_REVIEW_THRESHOLD

__all__ = [
    "CompanyTable",
    "ConfigFile",
    "DedupeTable",
    "DepartmentEntry",
    "RoutingTableModel",
    "SourceEntry",
    "TaxonomyTable",
]

# Letters and digits, starting with a letter: tickets are numbered TS-2026-000123.
TicketPrefix = Annotated[
    str, matching(r"[A-Za-z][A-Za-z0-9]{0,9}", "1-10 letters and digits, starting with a letter")
]
# The name of an environment variable, e.g. PLAINT_IMAP_PASSWORD.
EnvName = Annotated[
    str, matching(r"[A-Za-z_][A-Za-z0-9_]*", "an environment variable name like IMAP_PASSWORD")
]
Port = Annotated[int, Field(ge=1, le=65535)]
Keywords = Annotated[list[Text], Field(min_length=1)]


class CompanyTable(Table):
    """``[company]``: the time zone and the prefix of ticket numbers."""

    timezone: TimeZoneName
    ticket_prefix: TicketPrefix


class SourceEntry(Table):
    """One ``[[sources]]`` table: an inbound source; its password is read from the
    environment variable ``password_env``, never written in the file."""

    name: Text
    kind: Literal["imap"]
    host: Text
    port: Port
    tls: bool = True
    username: Text
    password_env: EnvName
    folder: Text = "INBOX"
    poll_interval_seconds: PositiveNumber = 30
    # IMAP: what acking a stored mail does ("none" leaves it untouched, "seen" sets \Seen,
    # "move" moves it to ``ack_folder``), whether to listen with IDLE where the server has
    # it, and the largest mail taken in whole (a larger one is kept as its headers).
    ack: Literal["none", "seen", "move"] = "none"
    ack_folder: Text = "Processed"
    idle: bool = True
    max_message_bytes: Annotated[int, Field(ge=1024)] = 25_000_000


class DepartmentEntry(Table):
    """One ``[[departments]]`` table."""

    code: Text
    name: Text


class SubTopicEntry(Table):
    """``[taxonomy.sub_topics] code = { category, department, scope }``."""

    category: Text
    department: DepartmentRef
    scope: Scope = 1


class TaxonomyRuleEntry(Table):
    """One ``[[taxonomy.rules]]`` table: keywords and the codes they imply."""

    name: Text
    keywords: Keywords
    unless: list[Text] = Field(default_factory=list)
    sub_topic: SubTopicRef | None = None
    urgency: Urgency | None = None
    validity: Literal["valid", "invalid"] | None = None
    level: Level | None = None
    department: DepartmentRef | None = None
    scope: Scope | None = None


class TaxonomyTable(Table):
    """``[taxonomy]``: sub-topics, the rules that pick them and the fallback."""

    fallback_sub_topic: SubTopicRef
    sub_topics: dict[str, SubTopicEntry] = Field(min_length=1)
    rules: list[TaxonomyRuleEntry] = Field(default_factory=list)


class RoutingMatch(MatchTable):
    """What a routing rule matches: every key given must match the ticket."""

    category: CategoryRef | None = None
    sub_topic: SubTopicRef | None = None
    scope: Scope | None = None
    community: Text | None = None
    building: Text | None = None


class RoutingRuleEntry(Table):
    """One ``[[routing.rules]]`` table; ``name`` defaults to ``rule<index>``."""

    name: Text | None = None
    department: DepartmentRef
    match: RoutingMatch


class RoutingTableModel(Table):
    """``[routing]``: the desk's fallback, the review threshold, the rules, assignment."""

    fallback_department: DepartmentRef
    review_threshold: Annotated[float, Field(ge=0, le=1)] = DEFAULT_REVIEW_THRESHOLD
    assignment: Literal["least_open", "round_robin", "none"] = "least_open"
    rules: list[RoutingRuleEntry] = Field(default_factory=list)


class DedupeTable(Table):
    """``[dedupe]``: windows and thresholds of the dedupe layers."""

    continuation_window_hours: PositiveNumber = 72
    near_duplicate_window_days: PositiveNumber = 7
    near_duplicate_threshold: Fraction = 0.4
    series_window_hours: PositiveNumber = 24
    series_threshold: Fraction = 0.3
    series_min_reporters: Annotated[int, Field(ge=2)] = 3


class ConfigFile(Table):
    """The whole file, after the packaged defaults fill in the tables it leaves out."""

    company: CompanyTable
    calendar: CalendarTable = Field(default_factory=CalendarTable)
    sla: SlaTable
    escalation: EscalationTable = Field(default_factory=EscalationTable)
    dedupe: DedupeTable = Field(default_factory=DedupeTable)
    routing: RoutingTableModel
    departments: list[DepartmentEntry] = Field(min_length=1)
    taxonomy: TaxonomyTable
    sources: list[SourceEntry] = Field(default_factory=list)
    staff: list[StaffEntry] = Field(default_factory=list)

    @field_validator("departments", "sources", "staff")
    @classmethod
    def _unique(cls, entries: list[Any], info: ValidationInfo) -> list[Any]:
        """Department and staff codes and source names are unique."""
        key = "name" if info.field_name == "sources" else "code"
        seen: set[str] = set()
        for index, entry in enumerate(entries):
            value = getattr(entry, key)
            if value in seen:
                raise key_error(f"{value!r} is used twice", index, key)
            seen.add(value)
        return entries
