"""The rule engine on the shipped default taxonomy: a table of plain values."""

from __future__ import annotations

import pytest

from plaint.pipeline.classify import Rule, Taxonomy, classify
from plaint.settings import load_config

TAXONOMY = load_config(None).taxonomy


@pytest.mark.parametrize(
    ("text", "sub_topic", "department", "category", "urgency"),
    [
        ("电梯又坏了，三号楼，困了人", "lift", "engineering", "facility", "emergency"),
        ("卫生间天花板一直在滴水，楼上漏水", "water_leak", "engineering", "facility", "normal"),
        ("7号楼停水了，什么时候恢复", "water_supply", "engineering", "facility", "emergency"),
        ("晚上广场舞噪音太大，严重扰民", "noise", "security", "management", "normal"),
        ("消防通道被私家车占用", "parking", "security", "management", "normal"),
        ("垃圾桶满了两天没人清运", "garbage", "cleaning", "service", "normal"),
        ("物业费为什么涨价，收费不透明", "property_fee", "finance", "fee", "normal"),
        ("前台工作人员态度很差", "staff_attitude", "customer_service", "service", "normal"),
        ("客厅墙面出现裂缝，交房才一年", "construction_defect", "developer", "facility", "normal"),
        ("The lift in Building 8 is broken", "lift", "engineering", "facility", "normal"),
        ("Someone is trapped in the elevator!", "lift", "engineering", "facility", "emergency"),
        ("Please send an invoice for my parking payment", "invoice", "finance", "fee", "normal"),
        ("Dogs off the lead near the playground", "pets", "security", "management", "normal"),
        ("I smell gas in the stairwell", "gas", "engineering", "facility", "emergency"),
    ],
)
def test_default_rules_pick_the_owner(
    text: str, sub_topic: str, department: str, category: str, urgency: str
) -> None:
    result = classify(text, taxonomy=TAXONOMY)
    assert (result.sub_topic, result.department, result.category, result.urgency) == (
        sub_topic,
        department,
        category,
        urgency,
    )
    assert result.validity == "valid"
    assert sub_topic in result.rules


def test_construction_defects_are_scope_two() -> None:
    assert classify("外墙开裂渗水，房子质量问题", taxonomy=TAXONOMY).scope == 2


@pytest.mark.parametrize(
    ("text", "validity"),
    [("", "invalid"), ("   ", "invalid"), ("测试", "invalid"), ("电梯坏了", "valid")],
)
def test_empty_and_test_messages_are_invalid(text: str, validity: str) -> None:
    assert classify(text, taxonomy=TAXONOMY).validity == validity


def test_repeat_complaints_are_level_two() -> None:
    assert classify("电梯又坏了，这是第三次了", taxonomy=TAXONOMY).level == 2
    assert classify("电梯坏了", taxonomy=TAXONOMY).level == 1


def test_unmatched_text_falls_back_with_low_confidence() -> None:
    result = classify("请问你们几点下班", taxonomy=TAXONOMY)
    assert result.sub_topic == "other"
    assert result.rules == ()
    assert result.confidence < 0.3


def test_more_keyword_hits_win_and_ties_go_to_the_first_mentioned() -> None:
    taxonomy = Taxonomy(
        sub_topics={"a": ("c", "d1", 1), "b": ("c", "d2", 1), "z": ("c", "d3", 1)},
        rules=(Rule("a", ("xx",), sub_topic="a"), Rule("b", ("yy", "ww"), sub_topic="b")),
        fallback_sub_topic="z",
    )
    assert classify("xx yy ww", taxonomy=taxonomy).sub_topic == "b"
    assert classify("yy then xx", taxonomy=taxonomy).sub_topic == "b"
    assert classify("xx then yy", taxonomy=taxonomy).sub_topic == "a"
    contested = classify("xx then yy", taxonomy=taxonomy).confidence
    assert contested < classify("xx", taxonomy=taxonomy).confidence
