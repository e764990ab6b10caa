"""Random but realistic ticket stories for a generated month (no database, no clock).

A :class:`Story` is what happened to one complaint: when and how it came in, what it was
about, who sent it, and the staff actions that followed (respond, wait and resume, close
or resolve, reopen, transfer from the desk's review queue), each with its instant.
:func:`draw_stories` draws them from a seeded :class:`random.Random`, so one seed gives one
month. The shares below are chosen to look like a mid-sized property-management company:
most tickets answered well within the targets, some departments slower than others (the
developer and finance miss more deadlines), a few emergencies, serial (level-2) and
invalid tickets, pauses while waiting on the resident, reopened tickets and repeat
complainants. What the actions do to the SLA clocks is :mod:`plaint.service.monthly.play`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from plaint.pipeline.kpi import Period

__all__ = ["COMMUNITIES", "Step", "Story", "draw_community", "draw_stories"]

COMMUNITIES = (
    "翠湖苑",
    "金桂园",
    "锦绣华庭",
    "碧水湾",
    "龙湖花园",
    "阳光新城",
    "滨江一号",
    "书香名邸",
)
_COMMUNITY_WEIGHTS = (18, 15, 14, 12, 12, 11, 10, 8)
_CHANNELS = {"phone": 45, "sms": 30, "email": 25}
_SUB_TOPICS = {
    "lift": 10, "water_leak": 8, "water_supply": 4, "power": 4, "gas": 1, "fire_safety": 2,
    "door_access": 6, "public_facility": 6, "drainage": 4, "noise": 9, "parking": 9,
    "security": 4, "cleaning": 8, "garbage": 6, "pest": 3, "greening": 3, "property_fee": 6,
    "utility_fee": 3, "invoice": 2, "staff_attitude": 5, "decoration": 3, "pets": 4,
    "neighbour": 3, "construction_defect": 4, "other": 3,
}  # fmt: skip
_EMERGENCY_TOPICS = frozenset({"lift", "water_leak", "power", "gas", "fire_safety"})
# Per department: median hours to the first response, median days from it to closure.
_PACE = {
    "engineering": (3.0, 1.2), "cleaning": (2.0, 0.8), "security": (1.5, 0.6),
    "landscaping": (6.0, 1.5), "finance": (10.0, 2.5), "customer_service": (4.0, 1.0),
    "developer": (16.0, 4.0), "external": (12.0, 3.0),
}  # fmt: skip
_DEFAULT_PACE = (4.0, 1.5)
# Complaints come in by day more than by night: relative weight of each hour of the day.
_HOURS = (1, 1, 1, 1, 1, 1, 2, 4, 7, 9, 9, 8, 6, 7, 8, 8, 8, 7, 7, 7, 6, 5, 3, 2)
_SHARES = {
    "invalid": 0.03, "level_2": 0.07, "emergency": 0.25, "review": 0.06, "wait": 0.12,
    "reopen": 0.05, "resolve_only": 0.25, "acknowledge": 0.5, "unanswered": 0.01,
    "frequent": 0.1,
}  # fmt: skip
_SPREAD = 0.9  # sigma of the log-normal delays


@dataclass(frozen=True)
class Step:
    """One staff action (a :class:`plaint.service.staff.Action` value) at ``at``;
    ``target`` is the department of a transfer."""

    action: str
    at: datetime
    target: str | None = None


@dataclass(frozen=True)
class Story:
    """One complaint of the generated month. ``resident`` indexes the month's resident
    pool; ``department`` is the owner in the end (``routed_to`` first, if the desk's
    review queue had it); ``acknowledge_after`` is how long after a first-response breach
    someone acknowledges the escalation (``None``: nobody does)."""

    received_at: datetime
    channel: str
    sub_topic: str
    category: str
    scope: int
    department: str
    routed_to: str
    level: int
    urgency: str
    validity: str
    resident: int
    steps: tuple[Step, ...]
    acknowledge_after: timedelta | None


def draw_stories(
    rng: random.Random,
    *,
    period: Period,
    count: int,
    residents: int,
    sub_topics: Mapping[str, tuple[str, str, int]],
    review_department: str,
) -> list[Story]:
    """Draw ``count`` stories received in ``period``, sorted by receipt, their residents
    drawn from ``residents`` (a few of them complain often), their codes from the
    taxonomy's ``sub_topics`` (code -> category, department, scope)."""
    topics = [t for t in sub_topics if t in _SUB_TOPICS] or list(sub_topics)
    weights = [_SUB_TOPICS.get(t, 1) for t in topics]
    stories = []
    for _ in range(count):
        topic = rng.choices(topics, weights)[0]
        category, department, scope = sub_topics[topic]
        stories.append(_story(rng, period, topic, category, department, scope, residents,
                              review_department))  # fmt: skip
    return sorted(stories, key=lambda s: s.received_at)


def _story(
    rng: random.Random, period: Period, topic: str, category: str, department: str, scope: int,
    residents: int, review_department: str,
) -> Story:  # fmt: skip
    received = _instant(rng, period)
    invalid = rng.random() < _SHARES["invalid"]
    emergency = topic in _EMERGENCY_TOPICS and rng.random() < _SHARES["emergency"]
    level = 2 if not invalid and rng.random() < _SHARES["level_2"] else 1
    review = not invalid and rng.random() < _SHARES["review"]
    routed = review_department if review or invalid else department
    steps = [Step("transfer", received + _hours(rng, 1.0), department)] if review else []
    if invalid:
        steps.append(Step("close", received + _hours(rng, 6.0)))
    else:
        steps += _handling(rng, received, department, emergency=emergency)
    acknowledge = _hours(rng, 2.0) if rng.random() < _SHARES["acknowledge"] else None
    return Story(
        received_at=received, channel=rng.choices(list(_CHANNELS), list(_CHANNELS.values()))[0],
        sub_topic=topic, category=category, scope=scope,
        department=routed if invalid else department, routed_to=routed, level=level,
        urgency="emergency" if emergency else "normal",
        validity="invalid" if invalid else "valid", resident=_resident(rng, residents),
        steps=tuple(sorted(steps, key=lambda s: s.at)), acknowledge_after=acknowledge,
    )  # fmt: skip


def _handling(
    rng: random.Random, received: datetime, department: str, *, emergency: bool
) -> list[Step]:
    """Respond, perhaps wait on the resident, close or resolve, perhaps reopen."""
    if rng.random() < _SHARES["unanswered"]:
        return []
    to_respond, to_close = _PACE.get(department, _DEFAULT_PACE)
    first = _hours(rng, 0.25) if emergency else _hours(rng, to_respond)
    responded = received + first
    steps = [Step("respond", responded)]
    closed = responded + _hours(rng, to_close * 24.0)
    if rng.random() < _SHARES["wait"]:
        paused = responded + _hours(rng, 3.0)
        waited = _hours(rng, 18.0)
        steps += [Step("wait", paused), Step("resume", paused + waited)]
        closed = max(closed, paused + waited) + waited
    resolve_only = rng.random() < _SHARES["resolve_only"]
    steps.append(Step("resolve" if resolve_only else "close", closed))
    if not resolve_only and rng.random() < _SHARES["reopen"]:
        reopened = closed + _hours(rng, 24.0)
        steps += [Step("reopen", reopened), Step("close", reopened + _hours(rng, 20.0))]
    return steps


def _instant(rng: random.Random, period: Period) -> datetime:
    days = (period.end - period.start).days
    day = period.start + timedelta(days=rng.randrange(days))
    hour = rng.choices(range(24), _HOURS)[0]
    return day + timedelta(hours=hour, seconds=rng.randrange(3600))


def _hours(rng: random.Random, median: float) -> timedelta:
    """A log-normal delay with the given median (hours), at least one minute."""
    hours = rng.lognormvariate(math.log(median), _SPREAD)
    return max(timedelta(hours=hours), timedelta(minutes=1))


def _resident(rng: random.Random, residents: int) -> int:
    """A resident index; the first 2 % of the pool send a tenth of the complaints."""
    if rng.random() < _SHARES["frequent"]:
        return rng.randrange(max(1, residents // 50))
    return rng.randrange(residents)


def draw_community(rng: random.Random) -> str:
    """A community, the larger ones more often."""
    return rng.choices(COMMUNITIES, _COMMUNITY_WEIGHTS)[0]
