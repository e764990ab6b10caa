"""The plain texts residents and staff receive: the language, the local times, nothing cut."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest

from plaint.config.messages import packaged_messages
from plaint.errors import ConfigError, NotFoundError
from plaint.pipeline.texts import check_templates, render

TEXTS = packaged_messages().templates

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
    rendered = render("ack", ACK, language=language, zone=SHANGHAI, templates=TEXTS)
    assert rendered.subject == subject
    if body is not None:
        assert rendered.body == body
    assert rendered.html.startswith("<html><body><p>")


def test_no_promise_without_a_due_time_and_unknown_codes_shown_as_they_are() -> None:
    data = {"ticket": "TS-2026-000124", "category": "other_cat", "sub_topic": "odd_topic"}
    body = render("ack", data, language="zh", zone=SHANGHAI, templates=TEXTS).body
    assert "首次答复" not in body
    assert "other_cat · odd topic" in body


def test_html_is_escaped_and_staff_warnings_name_the_clock() -> None:
    data = {"ticket": "<b>T</b>", "clock": "closure", "due_at": "2026-11-30T10:00:00+00:00",
            "department": "engineering"}  # fmt: skip
    rendered = render("sla.warn", data, language="zh", zone=SHANGHAI, templates=TEXTS)
    assert rendered.body == "工单 <b>T</b>（engineering）的办结时限将于 2026-11-30 18:00 到期。"
    assert "&lt;b&gt;T&lt;/b&gt;" in rendered.html


def test_a_long_text_is_never_cut() -> None:
    long_ticket = "TS-" + "9" * 300
    assert long_ticket in render("already_tracked", {"ticket": long_ticket}, language="zh",
                                 zone=SHANGHAI, templates=TEXTS).body  # fmt: skip


def test_an_unknown_template_is_not_found() -> None:
    with pytest.raises(NotFoundError, match="no text for template 'nope'"):
        render("nope", {}, language="zh", zone=SHANGHAI, templates=TEXTS)


def test_a_template_naming_an_unknown_variable_is_refused_at_load() -> None:
    raw = {"ack": {"zh": {"subject": "", "body": "编号 ${ticket}，${tikcet}"}}}
    with pytest.raises(ConfigError, match=r"messages.templates.ack.zh.body: unknown variable"):
        check_templates(raw)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"nope": {"zh": {"body": "x"}}}, "messages.templates.nope: unknown template"),
        ({"ack": {"en": {"body": "x"}}}, "messages.templates.ack: no zh text"),
        ({"ack": {"zh": {"body": "x"}, "fr": {"body": "x"}}}, "ack.fr: unknown language"),
        ({"ack": {"zh": {"body": "costs $5"}}}, r"a '\$' that starts no"),
    ],
)
def test_malformed_templates_are_refused(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        check_templates(raw)


def test_the_status_answer_lists_each_ticket_in_the_residents_words() -> None:
    tickets = [{"ticket": "TS-1", "status": "responded", "department": "工程维修部",
                "due_at": "2026-11-30T10:00:00+00:00"}]  # fmt: skip
    zh = render("status_answer", {"tickets": tickets}, language="zh", zone=SHANGHAI,
                templates=TEXTS).body  # fmt: skip
    assert zh == "编号 TS-1：处理中，工程维修部负责，办结时限 2026-11-30 18:00。"
    en = render("status_answer", {"tickets": []}, language="en", zone=SHANGHAI, templates=TEXTS)
    assert en.body == "You have no open complaints."


@pytest.mark.parametrize(
    ("language", "subject", "body"),
    [
        ("zh", "[TS-2026-000123] 关于您的投诉的答复",
         "您好，关于您的投诉（编号 TS-2026-000123），工程维修部答复：明天 {9点} 上门 $5"),
        ("en", "[TS-2026-000123] A reply to your complaint",
         "About your complaint TS-2026-000123, 工程维修部 replies: 明天 {9点} 上门 $5"),
    ],
)  # fmt: skip
def test_a_staff_reply_is_sent_as_written(language: str, subject: str, body: str) -> None:
    data = {"ticket": "TS-2026-000123", "department": "工程维修部", "text": "明天 {9点} 上门 $5"}
    rendered = render("staff_reply", data, language=language, zone=SHANGHAI, templates=TEXTS)
    assert (rendered.subject, rendered.body) == (subject, body)
