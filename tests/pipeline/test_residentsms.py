"""What a resident's SMS asks: a status query or a survey answer, from the text alone."""

from __future__ import annotations

import pytest

from plaint.pipeline.residentsms import (
    StatusQuery,
    SurveyReply,
    parse_status_query,
    parse_survey_reply,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("进度", StatusQuery()), ("状态", StatusQuery()), ("查询。", StatusQuery()),
        ("status", StatusQuery()), (" STATUS ", StatusQuery()),
        ("进度 TS-2026-000123", StatusQuery("TS-2026-000123")),
        ("status ts-2026-000123", StatusQuery("TS-2026-000123")),
        ("查询：TS-2026-000001", StatusQuery("TS-2026-000001")),
        ("电梯维修进度太慢了", None), ("status of my complaint please", None), ("", None),
    ],
)  # fmt: skip
def test_status_query(text: str, expected: StatusQuery | None) -> None:
    assert parse_status_query(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", SurveyReply(1)), ("５", SurveyReply(5)), ("3分", SurveyReply(3)),
        ("2 修得太慢", SurveyReply(2, "修得太慢")), ("满意", SurveyReply(5)),
        ("基本满意", SurveyReply(3)), ("不满意，还是漏水", SurveyReply(1, "还是漏水")),
        ("非常满意!", SurveyReply(5)), ("5, thanks", SurveyReply(5, "thanks")),
        ("6", None), ("12楼又漏水", None), ("楼道又漏水了", None), ("", None),
    ],
)  # fmt: skip
def test_survey_reply(text: str, expected: SurveyReply | None) -> None:
    assert parse_survey_reply(text) == expected


def test_low_scores() -> None:
    assert [SurveyReply(s).low for s in range(1, 6)] == [True, True, False, False, False]
