"""The labelled benchmark set (bench/data/property_complaints.jsonl) and the packaged rules.

A data-quality check (every row uses the default taxonomy's codes, every sub-topic is
covered) and a regression floor: the rules' accuracy measured on the set when they were
tuned, less a margin, so a change that loses ground fails here. Re-measure with
``python bench/rules_accuracy.py`` before moving a floor.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from plaint.config import load_config
from plaint.pipeline.classify import classify

DATA = Path(__file__).resolve().parents[1] / "bench" / "data" / "property_complaints.jsonl"
CONFIG = load_config(None)
MIN_ROWS = 200
MIN_ROWS_PER_SUB_TOPIC = 5
MARGIN = 0.03
# Accuracy on all rows when the rules were last tuned (bench/rules_accuracy.py).
MEASURED = {"sub_topic": 0.948, "department": 0.956, "urgency": 0.993, "validity": 0.974}


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    return [json.loads(line) for line in DATA.read_text("utf-8").splitlines() if line.strip()]


def test_rows_use_only_default_codes(rows: list[dict[str, Any]]) -> None:
    sub_topics = CONFIG.taxonomy.sub_topics
    allowed = {
        "department": {d.code for d in CONFIG.departments},
        "category": {category for category, _, _ in sub_topics.values()},
        "scope": {1, 2, 3},
        "level": {1, 2},
        "urgency": {"emergency", "normal"},
        "validity": {"valid", "invalid"},
        "sub_topic": set(sub_topics),
        "lang": {"zh", "en"},
    }
    assert len(rows) >= MIN_ROWS
    for number, row in enumerate(rows, start=1):
        assert isinstance(row["text"], str), number
        for field, codes in allowed.items():
            assert row[field] in codes, (number, field, row[field])
        if row["validity"] == "invalid":
            assert (row["sub_topic"], row["department"], row["category"]) == (
                "other",
                "customer_service",
                "service",
            ), number


def test_every_sub_topic_and_department_is_covered(rows: list[dict[str, Any]]) -> None:
    per_sub_topic = Counter(row["sub_topic"] for row in rows)
    assert {code: n for code, n in per_sub_topic.items() if n >= MIN_ROWS_PER_SUB_TOPIC}.keys() == (
        CONFIG.taxonomy.sub_topics.keys()
    )
    assert {row["department"] for row in rows} == {d.code for d in CONFIG.departments}
    for field, values in [
        ("scope", {1, 2, 3}),
        ("level", {1, 2}),
        ("urgency", {"emergency", "normal"}),
        ("validity", {"valid", "invalid"}),
        ("lang", {"zh", "en"}),
    ]:
        assert {row[field] for row in rows} == values, field


@pytest.mark.parametrize(("field", "measured"), sorted(MEASURED.items()))
def test_the_packaged_rules_keep_their_accuracy(
    rows: list[dict[str, Any]], field: str, measured: float
) -> None:
    right = sum(
        getattr(classify(row["text"], taxonomy=CONFIG.taxonomy), field) == row[field]
        for row in rows
    )
    assert right / len(rows) >= measured - MARGIN
