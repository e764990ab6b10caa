"""Routing: which department owns a classified complaint, and why.

The routing table is a list of rules, first match wins; a rule matches on any of
category, sub-topic, scope, community and building (a key left out matches anything).
Without a matching rule the sub-topic's own department from the taxonomy owns the ticket.
Below the review threshold the customer-service desk (the fallback department) reviews
the ticket first, whatever the rules say.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from plaint.pipeline.classify import Classification

__all__ = ["RouteDecision", "RoutingRule", "RoutingTable", "route"]

DEFAULT_REVIEW_THRESHOLD = 0.3
MATCH_KEYS = ("category", "sub_topic", "scope", "community", "building")


@dataclass(frozen=True)
class RoutingRule:
    """Send tickets matching ``match`` (a subset of MATCH_KEYS) to ``department``."""

    name: str
    department: str
    match: Mapping[str, str | int] = field(default_factory=dict)


@dataclass(frozen=True)
class RoutingTable:
    """Where tickets go: the rules, the fallback (the desk) and the review threshold."""

    fallback_department: str
    review_threshold: float = DEFAULT_REVIEW_THRESHOLD
    rules: tuple[RoutingRule, ...] = ()
    # How a ticket is given to a staff member of its department: "least_open" (fewest
    # open tickets), "round_robin", or "none" (the department assigns by hand).
    assignment: str = "least_open"


@dataclass(frozen=True)
class RouteDecision:
    """The owning department and a short reason code that explains the choice."""

    department: str
    reason: str


def route(
    classification: Classification,
    *,
    table: RoutingTable,
    community: str | None = None,
    building: str | None = None,
) -> RouteDecision:
    """Return the department that must act on ``classification`` for a resident of
    ``community``/``building`` (either may be unknown)."""
    if classification.confidence < table.review_threshold:
        return RouteDecision(table.fallback_department, "low_confidence_review")
    facts: dict[str, str | int | None] = {
        "category": classification.category,
        "sub_topic": classification.sub_topic,
        "scope": classification.scope,
        "community": community,
        "building": building,
    }
    for rule in table.rules:
        if all(facts.get(key) == value for key, value in rule.match.items()):
            return RouteDecision(rule.department, f"rule:{rule.name}")
    return RouteDecision(classification.department, f"sub_topic:{classification.sub_topic}")
