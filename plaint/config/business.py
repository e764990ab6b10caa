"""The business configuration from one TOML file.

Business rules (sources, taxonomy, routing, SLA policies) come from
one TOML file; any top-level table it leaves out falls back to the default shipped in
``plaint/config/defaults.toml``. Every problem raises :class:`~plaint.errors.ConfigError` naming
the offending key, at start-up.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from plaint.config.calendars import calendar_from_table
from plaint.config.sla import (
    EscalationConfig,
    SlaConfig,
    StaffMember,
    build_escalation,
    build_sla,
    build_staff,
)
from plaint.errors import ConfigError
from plaint.pipeline.calendar import WorkCalendar
from plaint.pipeline.classify import Rule, Taxonomy
from plaint.pipeline.route import MATCH_KEYS, RoutingRule, RoutingTable
from plaint.pipeline.similarity import NearDuplicateConfig

__all__ = [
    "Config",
    "DedupeConfig",
    "Department",
    "SourceConfig",
    "load_config",
]

_SOURCE_KINDS = frozenset({"imap"})


@dataclass(frozen=True)
class SourceConfig:
    """One inbound source. Secrets are named by environment variable, never stored here."""

    name: str
    kind: str
    host: str
    port: int
    tls: bool
    username: str
    password_env: str
    folder: str
    poll_interval: timedelta


@dataclass(frozen=True)
class DedupeConfig:
    """Windows and thresholds of the dedupe layers after the inbox's unique key."""

    continuation_window: timedelta
    near_duplicate_window: timedelta
    near_duplicate: NearDuplicateConfig
    series_window: timedelta
    series_threshold: float
    series_min_reporters: int


def _build_dedupe(table: dict[str, Any]) -> DedupeConfig:
    threshold = _fraction(table, "near_duplicate_threshold", 0.4)
    min_reporters = _positive(table, "series_min_reporters", "dedupe", 3)
    if min_reporters < 2 or min_reporters != int(min_reporters):
        raise ConfigError("dedupe.series_min_reporters must be a whole number of at least 2")
    return DedupeConfig(
        continuation_window=timedelta(
            hours=_positive(table, "continuation_window_hours", "dedupe", 72)
        ),
        near_duplicate_window=timedelta(
            days=_positive(table, "near_duplicate_window_days", "dedupe", 7)
        ),
        near_duplicate=NearDuplicateConfig(threshold=threshold),
        series_window=timedelta(hours=_positive(table, "series_window_hours", "dedupe", 24)),
        series_threshold=_fraction(table, "series_threshold", 0.3),
        series_min_reporters=int(min_reporters),
    )


def _fraction(table: dict[str, Any], key: str, default: float) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise ConfigError(f"dedupe.{key} must be a number above 0 and at most 1")
    return float(value)


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

    def staff_member(self, code: str | None) -> StaffMember | None:
        """Return the staff member with ``code``, if there is one."""
        return next((s for s in self.staff if s.code == code), None)

    def source(self, name: str) -> SourceConfig:
        """Return the source called ``name``; raise ConfigError if there is none."""
        for source in self.sources:
            if source.name == name:
                return source
        raise ConfigError(f"sources: no source named {name!r}")


def load_config(path: Path | None, *, required_years: Iterable[int] = ()) -> Config:
    """Load and validate the TOML file at ``path`` over the packaged defaults.

    ``required_years`` are years the working-day calendar must cover (a process passes the
    current year at start-up); CalendarCoverageError names a missing one and how to add it.
    """
    defaults = tomllib.loads(
        resources.files("plaint.config").joinpath("defaults.toml").read_text("utf-8")
    )
    data = dict(defaults)
    if path is not None:
        try:
            data.update(tomllib.loads(Path(path).read_text("utf-8")))
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    return _build_config(data, tuple(required_years))


def _build_config(data: dict[str, Any], required_years: tuple[int, ...]) -> Config:
    company = _table(data, "company")
    tz_name = _str(company, "timezone", "company")
    try:
        timezone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"company.timezone: unknown time zone {tz_name!r}") from None
    departments = tuple(
        Department(
            code=_str(d, "code", f"departments[{i}]"), name=_str(d, "name", f"departments[{i}]")
        )
        for i, d in enumerate(_array(data, "departments"))
    )
    codes = {d.code for d in departments}
    taxonomy = _build_taxonomy(_table(data, "taxonomy"), codes)
    routing = _build_routing(_table(data, "routing"), codes)
    calendar_table = {"time_zone": tz_name, **_table(data, "calendar")}
    escalation = build_escalation(_table(data, "escalation"), codes)
    staff_table = {**calendar_table, "working_hours": escalation.staff_hours}
    staff_table.pop("weekday_hours", None)
    return Config(
        timezone=timezone,
        ticket_prefix=_str(company, "ticket_prefix", "company"),
        sources=tuple(
            _build_source(s, f"sources[{i}]") for i, s in enumerate(_array(data, "sources"))
        ),
        departments=departments,
        taxonomy=taxonomy,
        routing=routing,
        sla=build_sla(_table(data, "sla")),
        calendar=calendar_from_table(calendar_table, required_years=required_years),
        staff_calendar=calendar_from_table(staff_table, required_years=required_years),
        escalation=escalation,
        staff=build_staff(_array(data, "staff"), codes),
        dedupe=_build_dedupe(_table(data, "dedupe")),
    )


_ASSIGNMENTS = ("least_open", "round_robin", "none")


def _build_routing(table: dict[str, Any], departments: set[str]) -> RoutingTable:
    fallback = _str(table, "fallback_department", "routing")
    if fallback not in departments:
        raise ConfigError(f"routing.fallback_department: {fallback!r} is not a department code")
    threshold = table.get("review_threshold", 0.3)
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
        or not 0 <= threshold <= 1
    ):
        raise ConfigError("routing.review_threshold must be a number from 0 to 1")
    rules = []
    for i, entry in enumerate(_array(table, "rules", "routing")):
        where = f"routing.rules[{i}]"
        department = _str(entry, "department", where)
        if department not in departments:
            raise ConfigError(f"{where}.department: {department!r} is not a department code")
        match = entry.get("match")
        if not isinstance(match, dict) or not match or set(match) - set(MATCH_KEYS):
            raise ConfigError(f"{where}.match must use one or more of {list(MATCH_KEYS)}")
        rules.append(RoutingRule(str(entry.get("name", f"rule{i}")), department, dict(match)))
    mode = table.get("assignment", "least_open")
    if mode not in _ASSIGNMENTS:
        raise ConfigError(f"routing.assignment must be one of {list(_ASSIGNMENTS)}")
    return RoutingTable(fallback, float(threshold), tuple(rules), str(mode))


def _build_source(table: dict[str, Any], where: str) -> SourceConfig:
    kind = _str(table, "kind", where)
    if kind not in _SOURCE_KINDS:
        raise ConfigError(f"{where}.kind: {kind!r} is not one of {sorted(_SOURCE_KINDS)}")
    tls = table.get("tls", True)
    if not isinstance(tls, bool):
        raise ConfigError(f"{where}.tls must be true or false")
    return SourceConfig(
        name=_str(table, "name", where),
        kind=kind,
        host=_str(table, "host", where),
        port=int(_positive(table, "port", where)),
        tls=tls,
        username=_str(table, "username", where),
        password_env=_str(table, "password_env", where),
        folder=str(table.get("folder", "INBOX")),
        poll_interval=timedelta(seconds=_positive(table, "poll_interval_seconds", where, 30)),
    )


def _build_taxonomy(table: dict[str, Any], departments: set[str]) -> Taxonomy:
    sub_topics: dict[str, tuple[str, str, int]] = {}
    for code, entry in _table(table, "sub_topics", "taxonomy").items():
        where = f"taxonomy.sub_topics.{code}"
        department = _str(entry, "department", where)
        if department not in departments:
            raise ConfigError(f"{where}.department: {department!r} is not a department code")
        sub_topics[code] = (_str(entry, "category", where), department, int(entry.get("scope", 1)))
    rules = []
    for i, entry in enumerate(_array(table, "rules", "taxonomy")):
        where = f"taxonomy.rules[{i}]"
        keywords = entry.get("keywords")
        if not isinstance(keywords, list) or not keywords:
            raise ConfigError(f"{where}.keywords must be a non-empty list of strings")
        unless = entry.get("unless", [])
        if not isinstance(unless, list):
            raise ConfigError(f"{where}.unless must be a list of strings")
        sub_topic = entry.get("sub_topic")
        if sub_topic is not None and sub_topic not in sub_topics:
            raise ConfigError(f"{where}.sub_topic: {sub_topic!r} is not in taxonomy.sub_topics")
        rule_department = entry.get("department")
        if rule_department is not None and rule_department not in departments:
            raise ConfigError(f"{where}.department: {rule_department!r} is not a department code")
        scope = entry.get("scope")
        if scope is not None and (isinstance(scope, bool) or not isinstance(scope, int)):
            raise ConfigError(f"{where}.scope must be an integer")
        rules.append(
            Rule(
                name=_str(entry, "name", where),
                keywords=tuple(str(k).casefold() for k in keywords),
                sub_topic=sub_topic,
                urgency=entry.get("urgency"),
                validity=entry.get("validity"),
                level=entry.get("level"),
                department=rule_department,
                scope=scope,
                unless=tuple(str(k).casefold() for k in unless),
            )
        )
    fallback = _str(table, "fallback_sub_topic", "taxonomy")
    if fallback not in sub_topics:
        raise ConfigError(
            f"taxonomy.fallback_sub_topic: {fallback!r} is not in taxonomy.sub_topics"
        )
    return Taxonomy(sub_topics=sub_topics, rules=tuple(rules), fallback_sub_topic=fallback)


def _table(data: dict[str, Any], key: str, where: str = "") -> dict[str, Any]:
    value = data.get(key)
    name = f"{where}.{key}" if where else key
    if not isinstance(value, dict):
        raise ConfigError(f"{name} must be a table")
    return value


def _array(data: dict[str, Any], key: str, where: str = "") -> list[dict[str, Any]]:
    value = data.get(key, [])
    name = f"{where}.{key}" if where else key
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(f"{name} must be an array of tables")
    return value


def _str(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}.{key} must be a non-empty string")
    return value


def _positive(data: dict[str, Any], key: str, where: str, default: float | None = None) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"{where}.{key} must be a positive number")
    return float(value)
