"""The SLA part of the TOML configuration: policies, the escalation ladder and the staff
who are notified: the pydantic models of the ``[sla]``, ``[escalation]`` and ``[[staff]]``
tables (validated by :func:`plaint.config.business.load_config`) and the values built
from them.

::

    [sla]
    warn_at = [0.5, 0.8]                       # fractions of each budget
    default = { first_response = { hours = 24 }, closure = { working_days = 3 } }
    # optional, in the default or a policy: how far staff may extend (延期) the closure
    # due time from receipt without a manager, e.g. extension_limit = { working_days = 15 }
    # (the default)
    # optional, in the default or a policy: a third clock, resolution (off by default),
    # e.g. resolution = { working_days = 15 }: closure then means "investigation and a
    # solution or initial plan" (met by `plaint tickets plan`), resolution is met on
    # resolve, and an extension moves the resolution due time
    [[sla.policies]]                           # first match wins
    name = "emergency"
    match = { urgency = "emergency" }          # level / urgency / category
    first_response = { minutes = 30 }
    closure = { hours = 24 }

    [escalation]
    reescalate_after_minutes = 120
    ladder = ["department_head", "property_manager", "regional_manager"]  # or "member"
    staff_hours = "09:00-18:00"                # staff are notified inside these hours
    ladders = { developer = ["property_manager"] }   # per department

    [[staff]]        # role: member, department_head, property_manager, regional_manager,
                     # desk (the customer-service desk) or admin; the last four may have
                     # no department
    code = "zhang.wei"; name = "张伟"; role = "department_head"; department = "engineering"
    phone = "+8613800000000"; email = "zhang.wei@property.example"
    on_duty = true                             # assigned new tickets (role member)
    working_hours = "08:00-12:00,13:00-17:00"  # optional; default: escalation.staff_hours
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Literal, get_args

from pydantic import Field, field_validator, model_validator

from plaint.config.validation import (
    CategoryRef,
    DepartmentRef,
    Level,
    MatchTable,
    PositiveNumber,
    Table,
    Text,
    Urgency,
    WorkingHoursText,
    key_error,
    matching,
)
from plaint.pipeline.calendar import Budget, BudgetKind
from plaint.pipeline.sla import (
    DEFAULT_EXTENSION_LIMIT,
    DEFAULT_WARN_AT,
    Escalation,
    Policy,
    PolicyRule,
)

__all__ = [
    "COMPANY_ROLES",
    "LADDER_ROLES",
    "ROLES",
    "EscalationConfig",
    "EscalationTable",
    "SlaConfig",
    "SlaTable",
    "StaffEntry",
    "StaffMember",
    "build_escalation",
    "build_sla",
    "build_staff",
]

Role = Literal["member", "department_head", "property_manager", "regional_manager", "desk", "admin"]
LadderRole = Literal["department_head", "property_manager", "regional_manager", "member"]
ROLES: tuple[str, ...] = get_args(Role)
# The roles an escalation ladder may name.
LADDER_ROLES: tuple[str, ...] = get_args(LadderRole)
# Roles that answer for every department rather than one.
COMPANY_ROLES = frozenset({"property_manager", "regional_manager"})
# Roles that need no department: the company-wide ones, the desk and admins.
_ROLES_WITHOUT_DEPARTMENT = COMPANY_ROLES | {"desk", "admin"}
_DEFAULT_LADDER: list[LadderRole] = ["department_head", "property_manager", "regional_manager"]
WarnFraction = Annotated[float, Field(gt=0, lt=1)]
Phone = Annotated[str, matching(r"\+?[0-9][0-9 -]{4,19}", "a phone number like +8613800000001")]
Email = Annotated[str, matching(r"[^@\s]+@[^@\s]+\.[^@\s]+", "an email address")]


@dataclass(frozen=True)
class SlaConfig:
    """The default policy and the rules that pick another one."""

    default: Policy
    rules: tuple[PolicyRule, ...]

    @property
    def tracks_resolution(self) -> bool:
        """Whether any policy runs the resolution clock."""
        policies = (self.default, *(rule.policy for rule in self.rules))
        return any(policy.resolution is not None for policy in policies)

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
    """Someone who handles tickets or is escalated to. ``working_hours`` (periods such as
    ``"09:00-12:00,13:30-18:00"``) of ``None`` means the company's ``staff_hours``."""

    code: str
    name: str
    role: str
    department: str | None
    phone: str | None
    email: str | None
    on_duty: bool = True
    working_hours: str | None = None


class BudgetTable(Table):
    """A budget: exactly one of ``{ minutes = N }``, ``{ hours = N }`` (clock time) or
    ``{ working_days = N }``."""

    minutes: PositiveNumber | None = None
    hours: PositiveNumber | None = None
    working_days: PositiveNumber | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> BudgetTable:
        if len(self.model_dump(exclude_none=True)) != 1:
            raise ValueError("give exactly one of minutes, hours or working_days")
        return self

    def budget(self) -> Budget:
        """The budget this table describes."""
        if self.working_days is not None:
            return Budget.working_days(self.working_days)
        if self.hours is not None:
            return Budget(BudgetKind.CLOCK, timedelta(hours=self.hours))
        return Budget(BudgetKind.CLOCK, timedelta(minutes=self.minutes or 0))


class Budgets(Table):
    """The two budgets of a policy, and optionally its extension limit and the budget of
    its resolution clock."""

    first_response: BudgetTable
    closure: BudgetTable
    extension_limit: BudgetTable | None = None
    resolution: BudgetTable | None = None


class PolicyMatch(MatchTable):
    """Which tickets a policy applies to: every key given must match."""

    level: Level | None = None
    urgency: Urgency | None = None
    category: CategoryRef | None = None


class PolicyEntry(Table):
    """One ``[[sla.policies]]`` table."""

    name: Text
    match: PolicyMatch
    first_response: BudgetTable
    closure: BudgetTable
    extension_limit: BudgetTable | None = None
    resolution: BudgetTable | None = None


class SlaTable(Table):
    """The ``[sla]`` table."""

    warn_at: list[WarnFraction] = Field(default_factory=lambda: list(DEFAULT_WARN_AT))
    default: Budgets
    policies: list[PolicyEntry] = Field(default_factory=list)

    @field_validator("warn_at")
    @classmethod
    def _increasing(cls, value: list[float]) -> list[float]:
        if value != sorted(set(value)):
            raise ValueError("fractions must be increasing, e.g. [0.5, 0.8]")
        return value


class EscalationTable(Table):
    """The ``[escalation]`` table."""

    reescalate_after_minutes: PositiveNumber = 120
    ladder: list[LadderRole] = Field(default_factory=lambda: list(_DEFAULT_LADDER), min_length=1)
    ladders: dict[DepartmentRef, Annotated[list[LadderRole], Field(min_length=1)]] = Field(
        default_factory=dict
    )
    staff_hours: WorkingHoursText = "09:00-18:00"


class StaffEntry(Table):
    """One ``[[staff]]`` table."""

    code: Text
    name: Text | None = None
    role: Role = "member"
    department: DepartmentRef | None = None
    phone: Phone | None = None
    email: Email | None = None
    on_duty: bool = True
    working_hours: WorkingHoursText | None = None

    @model_validator(mode="after")
    def _department_unless_company_wide(self) -> StaffEntry:
        if self.department is None and self.role not in _ROLES_WITHOUT_DEPARTMENT:
            raise key_error(f"required for role {self.role!r}", "department")
        return self


def build_sla(table: SlaTable) -> SlaConfig:
    """Build the SLA policies from the validated ``[sla]`` table."""
    warn_at = tuple(table.warn_at)
    default_limit = table.default.extension_limit

    def policy(name: str, budgets: Budgets | PolicyEntry) -> Policy:
        limit = budgets.extension_limit or default_limit
        return Policy(
            name=name,
            first_response=budgets.first_response.budget(),
            closure=budgets.closure.budget(),
            warn_at=warn_at,
            extension_limit=DEFAULT_EXTENSION_LIMIT if limit is None else limit.budget(),
            resolution=None if budgets.resolution is None else budgets.resolution.budget(),
        )

    rules = tuple(
        PolicyRule(
            policy=policy(entry.name, entry),
            level=entry.match.level,
            urgency=entry.match.urgency,
            category=entry.match.category,
        )
        for entry in table.policies
    )
    return SlaConfig(default=policy("default", table.default), rules=rules)


def build_escalation(table: EscalationTable) -> EscalationConfig:
    """Build the escalation ladders from the validated ``[escalation]`` table."""
    return EscalationConfig(
        ladder=tuple(table.ladder),
        ladders={department: tuple(roles) for department, roles in table.ladders.items()},
        interval=timedelta(minutes=table.reescalate_after_minutes),
        staff_hours=table.staff_hours,
    )


def build_staff(entries: Sequence[StaffEntry]) -> tuple[StaffMember, ...]:
    """Build the staff directory from the validated ``[[staff]]`` tables."""
    return tuple(
        StaffMember(
            code=entry.code,
            name=entry.name or entry.code,
            role=entry.role,
            department=entry.department,
            phone=entry.phone,
            email=entry.email,
            on_duty=entry.on_duty,
            working_hours=entry.working_hours,
        )
        for entry in entries
    )
