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
from plaint.config.early_warning import EarlyWarningTable
from plaint.config.messages import MessagesTable
from plaint.config.sla import EscalationTable, SlaTable, StaffEntry
from plaint.config.sources import SourceEntry
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
from plaint.config.webhooks import WebhookEntry
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
Keywords = Annotated[list[Text], Field(min_length=1)]


class CompanyTable(Table):
    """``[company]``: the time zone and the prefix of ticket numbers."""

    timezone: TimeZoneName
    ticket_prefix: TicketPrefix


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
    early_warning: EarlyWarningTable = Field(default_factory=EarlyWarningTable)
    messages: MessagesTable = Field(default_factory=MessagesTable)
    routing: RoutingTableModel
    departments: list[DepartmentEntry] = Field(min_length=1)
    taxonomy: TaxonomyTable
    sources: list[SourceEntry] = Field(default_factory=list)
    staff: list[StaffEntry] = Field(default_factory=list)
    webhooks: list[WebhookEntry] = Field(default_factory=list)

    @field_validator("departments", "sources", "staff", "webhooks")
    @classmethod
    def _unique(cls, entries: list[Any], info: ValidationInfo) -> list[Any]:
        """Department and staff codes and source and webhook names are unique."""
        key = "name" if info.field_name in ("sources", "webhooks") else "code"
        seen: set[str] = set()
        for index, entry in enumerate(entries):
            value = getattr(entry, key)
            if value in seen:
                raise key_error(f"{value!r} is used twice", index, key)
            seen.add(value)
        return entries
