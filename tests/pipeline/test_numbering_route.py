from __future__ import annotations

import pytest

from plaint.pipeline.classify import Classification
from plaint.pipeline.numbering import ticket_number
from plaint.pipeline.route import RoutingTable, route


@pytest.mark.parametrize(
    ("prefix", "year", "sequence", "number"),
    [("TS", 2026, 123, "TS-2026-000123"), ("TS", 2027, 1, "TS-2027-000001"),
     ("WY", 2026, 1234567, "WY-2026-1234567")],
)  # fmt: skip
def test_ticket_numbers(prefix: str, year: int, sequence: int, number: str) -> None:
    assert ticket_number(prefix=prefix, year=year, sequence=sequence) == number


def test_sequence_starts_at_one() -> None:
    with pytest.raises(ValueError, match="starts at 1"):
        ticket_number(prefix="TS", year=2026, sequence=0)


def _classified(confidence: float) -> Classification:
    return Classification("facility", "lift", "engineering", 1, 1, "normal", "valid",
                          confidence, ("lift",))  # fmt: skip


@pytest.mark.parametrize(
    ("confidence", "department", "reason"),
    [(0.9, "engineering", "sub_topic:lift"), (0.2, "customer_service", "low_confidence_review")],
)
def test_low_confidence_goes_to_the_desk(confidence: float, department: str, reason: str) -> None:
    decision = route(_classified(confidence), table=RoutingTable("customer_service"))
    assert (decision.department, decision.reason) == (department, reason)
