"""Routing: which department owns a classified complaint."""

from __future__ import annotations

from dataclasses import dataclass

from plaint.pipeline.classify import Classification

__all__ = ["RouteDecision", "RoutingTable", "route"]


@dataclass(frozen=True)
class RoutingTable:
    """Where tickets go. Below ``review_threshold`` confidence, the fallback department
    (the customer-service desk) reviews the ticket first."""

    fallback_department: str
    review_threshold: float = 0.3


@dataclass(frozen=True)
class RouteDecision:
    """The owning department and a short reason code that explains the choice."""

    department: str
    reason: str


def route(classification: Classification, *, table: RoutingTable) -> RouteDecision:
    """Return the department that must act on ``classification``."""
    if classification.confidence < table.review_threshold:
        return RouteDecision(table.fallback_department, "low_confidence_review")
    return RouteDecision(classification.department, f"sub_topic:{classification.sub_topic}")
