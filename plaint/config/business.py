"""The business configuration from one TOML file.

Business rules (sources, taxonomy, routing, SLA policies, calendar, staff) come from one
TOML file; any top-level table it leaves out falls back to the default shipped in
``plaint/config/defaults.toml``. The merged file is validated against
:class:`~plaint.config.schema.ConfigFile` (unknown keys refused with the nearest valid key
suggested, strict types, ranges) and built into the :class:`Config` value the rest of
plaint reads. Every problem raises :class:`~plaint.errors.ConfigError`, one line per
problem, each naming the full path of the key, at start-up.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from plaint.config.calendars import build_calendar
from plaint.config.early_warning import EarlyWarningConfig, build_early_warning
from plaint.config.messages import MessagesConfig, build_messages, resolve_templates_file
from plaint.config.schema import (
    ConfigFile,
    DedupeTable,
    RoutingTableModel,
    TaxonomyTable,
)
from plaint.config.sla import (
    EscalationConfig,
    SlaConfig,
    StaffMember,
    build_escalation,
    build_sla,
    build_staff,
)
from plaint.config.sources import SourceConfig, build_source
from plaint.config.validation import load_zone, references, validate
from plaint.config.webhooks import WebhookConfig, build_webhooks
from plaint.errors import ConfigError
from plaint.pipeline.calendar import WorkCalendar
from plaint.pipeline.classify import Rule, Taxonomy
from plaint.pipeline.route import RoutingRule, RoutingTable
from plaint.pipeline.similarity import NearDuplicateConfig

__all__ = [
    "Config",
    "DedupeConfig",
    "Department",
    "SourceConfig",
    "load_config",
    "load_file",
]


@dataclass(frozen=True)
class DedupeConfig:
    """Windows and thresholds of the dedupe layers after the inbox's unique key."""

    continuation_window: timedelta
    near_duplicate_window: timedelta
    near_duplicate: NearDuplicateConfig
    series_window: timedelta
    series_threshold: float
    series_min_reporters: int


@dataclass(frozen=True)
class Department:
    """A department that owns tickets."""

    code: str
    name: str


@dataclass(frozen=True)
class Config:
    """The validated business configuration."""

    timezone: ZoneInfo
    ticket_prefix: str
    sources: tuple[SourceConfig, ...]
    departments: tuple[Department, ...]
    taxonomy: Taxonomy
    routing: RoutingTable
    sla: SlaConfig
    calendar: WorkCalendar
    staff_calendar: WorkCalendar
    escalation: EscalationConfig
    staff: tuple[StaffMember, ...]
    dedupe: DedupeConfig
    messages: MessagesConfig
    webhooks: tuple[WebhookConfig, ...] = ()
    early_warning: EarlyWarningConfig = field(default_factory=EarlyWarningConfig)

    def staff_member(self, code: str | None) -> StaffMember | None:
        """Return the staff member with ``code``, if there is one."""
        return next((s for s in self.staff if s.code == code), None)

    def source(self, name: str) -> SourceConfig:
        """Return the source called ``name``; raise ConfigError if there is none."""
        for source in self.sources:
            if source.name == name:
                return source
        raise ConfigError(f"sources: no source named {name!r}")


def load_file(path: Path | None) -> ConfigFile:
    """Read the TOML file at ``path`` (``None``: the defaults alone), merge it over the
    packaged defaults table by table, and validate the result.

    Raises ConfigError if the file cannot be read, is not TOML, or breaks the schema (one
    line per problem, each naming the key's full path).
    """
    data = tomllib.loads(
        resources.files("plaint.config").joinpath("defaults.toml").read_text("utf-8")
    )
    if path is not None:
        try:
            own = tomllib.loads(Path(path).read_text("utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
        resolve_templates_file(own, Path(path).parent)
        data.update(own)
    return validate(ConfigFile, data, context=references(data))


def load_config(path: Path | None, *, required_years: Iterable[int] = ()) -> Config:
    """Load and validate the TOML file at ``path`` over the packaged defaults.

    ``required_years`` are years the working-day calendar must cover (a process passes the
    current year at start-up); CalendarCoverageError names a missing one and how to add it.
    Raises ConfigError as :func:`load_file` does.
    """
    return build_config(load_file(path), required_years=required_years)


def build_config(doc: ConfigFile, *, required_years: Iterable[int] = ()) -> Config:
    """Build the :class:`Config` of a validated file; raises as :func:`load_config`."""
    years = tuple(required_years)
    escalation = build_escalation(doc.escalation)
    staff_hours = doc.calendar.model_copy(
        update={"working_hours": escalation.staff_hours, "weekday_hours": None}
    )
    zone = doc.company.timezone
    return Config(
        timezone=load_zone(zone),
        ticket_prefix=doc.company.ticket_prefix,
        sources=tuple(build_source(e, company_timezone=zone) for e in doc.sources),
        departments=tuple(Department(code=d.code, name=d.name) for d in doc.departments),
        taxonomy=_taxonomy(doc.taxonomy),
        routing=_routing(doc.routing),
        sla=build_sla(doc.sla),
        calendar=build_calendar(doc.calendar, default_zone=zone, required_years=years),
        staff_calendar=build_calendar(staff_hours, default_zone=zone, required_years=years),
        escalation=escalation,
        staff=build_staff(doc.staff),
        dedupe=_dedupe(doc.dedupe),
        messages=build_messages(doc.messages),
        webhooks=build_webhooks(doc.webhooks),
        early_warning=build_early_warning(doc.early_warning),
    )


def _dedupe(table: DedupeTable) -> DedupeConfig:
    return DedupeConfig(
        continuation_window=timedelta(hours=table.continuation_window_hours),
        near_duplicate_window=timedelta(days=table.near_duplicate_window_days),
        near_duplicate=NearDuplicateConfig(threshold=table.near_duplicate_threshold),
        series_window=timedelta(hours=table.series_window_hours),
        series_threshold=table.series_threshold,
        series_min_reporters=table.series_min_reporters,
    )


def _routing(table: RoutingTableModel) -> RoutingTable:
    rules = tuple(
        RoutingRule(
            name=entry.name or f"rule{index}",
            department=entry.department,
            match=entry.match.model_dump(exclude_none=True),
        )
        for index, entry in enumerate(table.rules)
    )
    return RoutingTable(
        fallback_department=table.fallback_department,
        review_threshold=table.review_threshold,
        rules=rules,
        assignment=table.assignment,
    )


def _taxonomy(table: TaxonomyTable) -> Taxonomy:
    rules = tuple(
        Rule(
            name=entry.name,
            keywords=tuple(keyword.casefold() for keyword in entry.keywords),
            sub_topic=entry.sub_topic,
            urgency=entry.urgency,
            validity=entry.validity,
            level=entry.level,
            department=entry.department,
            scope=entry.scope,
            unless=tuple(keyword.casefold() for keyword in entry.unless),
        )
        for entry in table.rules
    )
    return Taxonomy(
        sub_topics={
            code: (entry.category, entry.department, entry.scope)
            for code, entry in table.sub_topics.items()
        },
        rules=rules,
        fallback_sub_topic=table.fallback_sub_topic,
    )
