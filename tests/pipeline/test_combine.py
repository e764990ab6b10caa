from __future__ import annotations

import pytest

from plaint.config import load_config
from plaint.pipeline.classify import Classification
from plaint.pipeline.combine import ModelOpinion, apply_model, decide

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


@pytest.mark.parametrize(
    ("opinion", "source", "sub_topic", "rules"),
    [
        (None, "rules", "garbage", ("garbage",)),
        (ModelOpinion("sub_topic", "lift", 0.99, "v2"), "model", "lift", ("garbage", "model:v2")),
        (ModelOpinion("sub_topic", "lift", 0.1, "v2"), "rules", "garbage", ("garbage",)),
    ],
    ids=["rules alone", "surer model", "less sure model"],
)
def test_decide_keeps_the_rules_and_the_opinion_beside_the_result(
    opinion: ModelOpinion | None, source: str, sub_topic: str, rules: tuple[str, ...]
) -> None:
    decision = decide("门口垃圾桶满了", taxonomy=TAXONOMY, opinion=opinion)
    assert decision.rules.sub_topic == "garbage"
    assert decision.opinion == opinion
    assert (decision.source, decision.result.sub_topic, decision.result.rules) == (
        source, sub_topic, rules,
    )  # fmt: skip


def test_the_rules_keep_the_last_word_on_emergencies_and_explicit_remits() -> None:
    emergency = decide("7号楼停水了，什么时候恢复", taxonomy=TAXONOMY).result
    assert emergency.urgency == "emergency"
    kept = apply_model(emergency, field="urgency", label="normal", confidence=0.99,
                       version="v2", taxonomy=TAXONOMY)  # fmt: skip
    assert kept is emergency
    outside = decide("小区旁边工地夜间施工打桩，吵得睡不着", taxonomy=TAXONOMY).result
    assert outside.department == "external"
    for field, label in (("department", "security"), ("sub_topic", "noise"), ("scope", "1")):
        assert apply_model(outside, field=field, label=label, confidence=0.99, version="v2",
                           taxonomy=TAXONOMY) is outside  # fmt: skip
    assert apply_model(outside, field="level", label="2", confidence=0.99, version="v2",
                       taxonomy=TAXONOMY).level == 2  # fmt: skip
