from __future__ import annotations

import pytest

from plaint.config import load_config
from plaint.pipeline.classify import Classification
from plaint.pipeline.combine import apply_model

TAXONOMY = load_config(None).taxonomy
RULES = Classification("service", "other", "customer_service", 1, 1, "normal", "valid", 0.2, ())


@pytest.mark.parametrize(
    ("field", "label", "confidence", "expected"),
    [
        ("sub_topic", "garbage", 0.7, ("garbage", "cleaning", "service", 0.7)),
        ("sub_topic", "garbage", 0.1, ("other", "customer_service", "service", 0.2)),
        ("sub_topic", "no_such_topic", 0.9, ("other", "customer_service", "service", 0.2)),
        ("department", "finance", 0.5, ("other", "finance", "service", 0.5)),
        ("colour", "red", 0.9, ("other", "customer_service", "service", 0.2)),
    ],
)
def test_a_surer_model_overrides_only_its_field(
    field: str, label: str, confidence: float, expected: tuple[str, str, str, float]
) -> None:
    result = apply_model(RULES, field=field, label=label, confidence=confidence, version="v3",
                         taxonomy=TAXONOMY)  # fmt: skip
    assert (result.sub_topic, result.department, result.category, result.confidence) == expected
    assert (result.rules == ("model:v3",)) is (result is not RULES)


def test_integer_fields_take_only_digits() -> None:
    assert apply_model(RULES, field="level", label="2", confidence=0.9, version="v1",
                       taxonomy=TAXONOMY).level == 2  # fmt: skip
    assert apply_model(RULES, field="level", label="high", confidence=0.9, version="v1",
                       taxonomy=TAXONOMY) is RULES  # fmt: skip
