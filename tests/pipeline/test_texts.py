"""The plain texts residents and staff receive: the language, the local times, nothing cut."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from plaint.errors import NotFoundError
from plaint.pipeline.texts import render

SHANGHAI = ZoneInfo("Asia/Shanghai")
ACK = {"ticket": "TS-2026-000123", "category": "facility", "sub_topic": "lift",
       "first_response_due": "2026-11-30T02:00:00+00:00"}  # fmt: skip


@pytest.mark.parametrize(
    ("language", "subject", "body"),
    [
        ("zh", "[TS-2026-000123] 您的投诉已受理",
         "您好，您的投诉已受理，编号 TS-2026-000123，类别：设施/产品投诉 · 电梯。"
         "我们将在 2026-11-30 10:00 前首次答复您。如需补充，请直接回复本消息。"),
        ("en", "[TS-2026-000123] Your complaint has been received",
         "Your complaint has been received under number TS-2026-000123, filed as facilities: "
         "lift. We will first respond by 2026-11-30 10:00. To add anything, simply reply to "
         "this message."),
        ("fr", "[TS-2026-000123] 您的投诉已受理", None),  # unknown languages get Chinese
    ],
)  # fmt: skip
def test_the_acknowledgement(language: str, subject: str, body: str | None) -> None:
    rendered = render("ack", ACK, language=language, zone=SHANGHAI)
    assert rendered.subject == subject
    if body is not None:
        assert rendered.body == body
    assert rendered.html.startswith("<html><body><p>")


def test_no_promise_without_a_due_time_and_unknown_codes_shown_as_they_are() -> None:
    data = {"ticket": "TS-2026-000124", "category": "other_cat", "sub_topic": "odd_topic"}
    body = render("ack", data, language="zh", zone=SHANGHAI).body
    assert "首次答复" not in body
    assert "other_cat · odd topic" in body


def test_html_is_escaped_and_staff_warnings_name_the_clock() -> None:
    data = {"ticket": "<b>T</b>", "clock": "closure", "due_at": "2026-11-30T10:00:00+00:00",
            "department": "engineering"}  # fmt: skip
    rendered = render("sla.warn", data, language="zh", zone=SHANGHAI)
    assert rendered.body == "工单 <b>T</b>（engineering）的办结时限将于 2026-11-30 18:00 到期。"
    assert "&lt;b&gt;T&lt;/b&gt;" in rendered.html


def test_a_long_text_is_never_cut() -> None:
    long_ticket = "TS-" + "9" * 300
    assert long_ticket in render("already_tracked", {"ticket": long_ticket}, language="zh",
                                 zone=SHANGHAI).body  # fmt: skip


def test_an_unknown_template_is_not_found() -> None:
    with pytest.raises(NotFoundError, match="no text for template 'nope'"):
        render("nope", {}, language="zh", zone=SHANGHAI)


@pytest.mark.parametrize(
    ("language", "subject", "body"),
    [
        ("zh", "[TS-2026-000123] 物业回复",
         "您好，关于您的投诉（编号 TS-2026-000123）：明天 {9点} 上门"),
        ("en", "[TS-2026-000123] Our reply",
         "About your complaint (number TS-2026-000123): 明天 {9点} 上门"),
    ],
)  # fmt: skip
def test_a_staff_reply_is_sent_as_written(language: str, subject: str, body: str) -> None:
    data = {"ticket": "TS-2026-000123", "text": "明天 {9点} 上门"}
    rendered = render("staff_reply", data, language=language, zone=SHANGHAI)
    assert (rendered.subject, rendered.body) == (subject, body)
