"""The SLA part of the TOML configuration: policies, the escalation ladder and the staff
who are notified. Every problem raises ConfigError naming the key.

::

    [sla]
    warn_at = [0.5, 0.8]                       # fractions of each budget
    default = { first_response = { hours = 24 }, closure = { working_days = 3 } }
    [[sla.policies]]                           # first match wins
    name = "emergency"
    match = { urgency = "emergency" }          # level / urgency / category
    first_response = { minutes = 30 }
    closure = { hours = 24 }

    [escalation]
    reescalate_after_minutes = 120
    ladder = ["department_head", "property_manager", "regional_manager"]
    staff_hours = "09:00-18:00"                # staff are notified inside these hours
    ladders = { developer = ["property_manager"] }   # per department

    [[staff]]
    code = "zhang.wei"; name = "张伟"; role = "department_head"; department = "engineering"
    phone = "+8613800000000"; email = "zhang.wei@property.example"
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from plaint.errors import ConfigError
from plaint.pipeline.calendar import Budget, BudgetKind
from plaint.pipeline.sla import DEFAULT_WARN_AT, Escalation, Policy, PolicyRule

__all__ = ["ROLES", "EscalationConfig", "SlaConfig", "StaffMember", "build_sla", "build_staff"]

ROLES = ("member", "department_head", "property_manager", "regional_manager")
# Roles that answer for every department rather than one.
COMPANY_ROLES = frozenset({"property_manager", "regional_manager"})
_CLOCK_UNITS = {"minutes": timedelta(minutes=1), "hours": timedelta(hours=1)}
_MATCH_KEYS = frozenset({"level", "urgency", "category"})


@dataclass(frozen=True)
class SlaConfig:
    """The default policy and the rules that pick another one."""

    default: Policy
    rules: tuple[PolicyRule, ...]

    def policy(self, name: str | None) -> Policy:
        """Return the policy called ``name``, or the default if there is none by that name."""
        for rule in self.rules:
            if rule.policy.name == name:
                return rule.policy
        return self.default


@dataclass(frozen=True)
class EscalationConfig:
    """The ladder of each department and the time between steps."""

    ladder: tuple[str, ...]
    ladders: Mapping[str, tuple[str, ...]]
    interval: timedelta
    staff_hours: str

    def for_department(self, department: str) -> Escalation:
        """Return the escalation of ``department``."""
        return Escalation(steps=self.ladders.get(department, self.ladder), interval=self.interval)


@dataclass(frozen=True)
class StaffMember:
    """Someone who handles tickets or is escalated to."""

    code: str
    name: str
    role: str
    department: str | None
    phone: str | None
    email: str | None
    on_duty: bool = True


def _budget(value: Any, where: str) -> Budget:
    if not isinstance(value, dict) or len(value) != 1:
        raise ConfigError(f"{where} must be one of {{ minutes = N }}, {{ hours = N }}, "
                          f"{{ working_days = N }}")  # fmt: skip
    [(unit, amount)] = value.items()
    if isinstance(amount, bool) or not isinstance(amount, int | float) or amount <= 0:
        raise ConfigError(f"{where}.{unit} must be a positive number")
    if unit == "working_days":
        return Budget.working_days(float(amount))
    if unit not in _CLOCK_UNITS:
        raise ConfigError(f"{where}: unknown unit {unit!r} (minutes, hours, working_days)")
    return Budget(BudgetKind.CLOCK, _CLOCK_UNITS[unit] * amount)


def _policy(table: Any, where: str, name: str, warn_at: tuple[float, ...]) -> Policy:
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    return Policy(
        name=name,
        first_response=_budget(table.get("first_response"), f"{where}.first_response"),
        closure=_budget(table.get("closure"), f"{where}.closure"),
        warn_at=warn_at,
    )


def _warn_at(table: Mapping[str, Any]) -> tuple[float, ...]:
    raw = table.get("warn_at", list(DEFAULT_WARN_AT))
    if not isinstance(raw, list) or not all(
        isinstance(f, int | float) and not isinstance(f, bool) and 0 < f < 1 for f in raw
    ):
        raise ConfigError("sla.warn_at must be a list of fractions between 0 and 1")
    return tuple(float(f) for f in raw)


def build_sla(table: Mapping[str, Any]) -> SlaConfig:
    """Build the SLA policies from the ``[sla]`` table."""
    warn_at = _warn_at(table)
    default = _policy(table.get("default"), "sla.default", "default", warn_at)
    rules = []
    policies = table.get("policies", [])
    if not isinstance(policies, list):
        raise ConfigError("sla.policies must be an array of tables")
    for i, entry in enumerate(policies):
        where = f"sla.policies[{i}]"
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{where}.name must be a non-empty string")
        match = entry.get("match", {})
        if not isinstance(match, dict) or not match or set(match) - _MATCH_KEYS:
            raise ConfigError(f"{where}.match must use one or more of {sorted(_MATCH_KEYS)}")
        rules.append(
            PolicyRule(
                policy=_policy(entry, where, name, warn_at),
                level=match.get("level"),
                urgency=match.get("urgency"),
                category=match.get("category"),
            )
        )
    return SlaConfig(default=default, rules=tuple(rules))


def _ladder(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(r in ROLES for r in value):
        raise ConfigError(f"{where} must be a list of roles from {list(ROLES)}")
    return tuple(value)


def build_escalation(table: Mapping[str, Any], departments: set[str]) -> EscalationConfig:
    """Build the escalation ladders from the ``[escalation]`` table."""
    minutes = table.get("reescalate_after_minutes", 120)
    if isinstance(minutes, bool) or not isinstance(minutes, int | float) or minutes <= 0:
        raise ConfigError("escalation.reescalate_after_minutes must be a positive number")
    ladders = table.get("ladders", {})
    if not isinstance(ladders, dict):
        raise ConfigError("escalation.ladders must be a table of department = [roles]")
    for department in ladders:
        if department not in departments:
            raise ConfigError(f"escalation.ladders.{department}: not a department code")
    hours = table.get("staff_hours", "09:00-18:00")
    if not isinstance(hours, str):
        raise ConfigError("escalation.staff_hours must be a string such as 09:00-18:00")
    return EscalationConfig(
        ladder=_ladder(table.get("ladder", list(ROLES[1:])), "escalation.ladder"),
        ladders={d: _ladder(v, f"escalation.ladders.{d}") for d, v in ladders.items()},
        interval=timedelta(minutes=minutes),
        staff_hours=hours,
    )


def build_staff(entries: list[dict[str, Any]], departments: set[str]) -> tuple[StaffMember, ...]:
    """Build the staff directory from the ``[[staff]]`` tables."""
    staff = []
    for i, entry in enumerate(entries):
        where = f"staff[{i}]"
        code, role = entry.get("code"), entry.get("role", "member")
        if not isinstance(code, str) or not code:
            raise ConfigError(f"{where}.code must be a non-empty string")
        if role not in ROLES:
            raise ConfigError(f"{where}.role must be one of {list(ROLES)}")
        department = entry.get("department")
        if department is not None and department not in departments:
            raise ConfigError(f"{where}.department: {department!r} is not a department code")
        if department is None and role not in COMPANY_ROLES:
            raise ConfigError(f"{where}.department is required for role {role!r}")
        on_duty = entry.get("on_duty", True)
        if not isinstance(on_duty, bool):
            raise ConfigError(f"{where}.on_duty must be true or false")
        staff.append(
            StaffMember(code, str(entry.get("name", code)), role, department,
                        entry.get("phone"), entry.get("email"), on_duty)
        )  # fmt: skip
    if len({s.code for s in staff}) != len(staff):
        raise ConfigError("staff: codes must be unique")
    return tuple(staff)
