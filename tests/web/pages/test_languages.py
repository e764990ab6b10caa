"""The pages read in the staff member's language: a ticket, Today and the queues name
departments, channels, urgency, statuses, outbox templates, audit events and the SLA
timeline in words (Chinese by default, English by choice), with no raw English codes in
the Chinese view; the timeline lists the calendar days a working-day clock skipped and
why (weekend, the National Day holiday by name). Through HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

from plaint.config import Config
from plaint.service.explain import explain_ticket
from plaint.web.pages.labels import Labels
from tests.web.conftest import triage_mail
from tests.web.pages.conftest import Pages, csrf_of

# Codes the Chinese view must not show as visible text (attribute values may keep them).
RAW_CODES = ("engineering", "cleaning", "finance", "emergency", "normal", "received",
             "classified", "routed", "sla_started", "first_response", "closure", "pending",
             "ack", "template", "default", "warn:50", "breach", "escalate", "desk")  # fmt: skip


def visible(page: str) -> str:
    """The text a reader sees: no scripts, styles, tags or attribute values."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def words(text: str) -> set[str]:
    """The Latin words of ``text``, staff codes (``desk.wu``) left out."""
    return set(re.findall(r"[A-Za-z_][A-Za-z_:0-9]*", re.sub(r"\b[a-z]+\.[a-z]+\b", " ", text)))


def english(pages: Pages) -> None:
    page = pages.client.get("/today")
    pages.client.post("/language", data={"csrf": csrf_of(page.text), "lang": "en",
                                         "back": "/today"})  # fmt: skip


def test_the_chinese_ticket_page_names_every_code_in_words(pages: Pages) -> None:
    pages.sign_in("desk.wu")
    page = pages.client.get(f"/tickets/{pages.numbers['lift']}")
    text = visible(page.text)
    for shown in ("工程维修部", "邮件", "紧急", "一级", "时限规则 紧急", "预警 50%", "升级 第1级",
                  "已收到", "分类", "分派部门", "开始计时", "子类 电梯",
                  "部门 工程维修部", "首次响应", "办结", "受理回执",
                  "待发送", "已超时", "超时", "模板", "保洁部"):  # fmt: skip
        assert shown in text, shown
    leaked = words(text) & set(RAW_CODES)
    assert not leaked, leaked
    assert '<option value="cleaning" title="cleaning">保洁部</option>' in page.text


def test_the_notice_after_an_action_names_it_in_the_members_language(pages: Pages) -> None:
    pages.sign_in("li.clean")
    number = pages.numbers["corridor"]
    assert f"{number}: 内部备注 ✓" in pages.act(number, "note", text="已联系保洁").text
    english(pages)
    assert f"{number}: Internal note ✓" in pages.act(number, "note", text="called").text


def test_the_english_ticket_page_shows_english_labels(pages: Pages) -> None:
    pages.sign_in("desk.wu")
    english(pages)
    text = visible(pages.client.get(f"/tickets/{pages.numbers['lift']}").text)
    for shown in ("Engineering & maintenance", "emergency", "level 1", "received",
                  "classified", "SLA started", "sub-topic lift", "first response",
                  "acknowledgement", "Template", "Cleaning", "breach"):  # fmt: skip
        assert shown in text, shown
    head = text.split("Messages")[0].replace("吴客服", "").replace("业主3", "")  # names, the toggle
    assert not re.search(r"[\u4e00-\u9fff]", head.replace("中文", ""))


def test_the_timeline_lists_the_skipped_days_and_why(pages: Pages, web_config: Config) -> None:
    holiday = triage_mail(pages.sessions, web_config, 20, "小区绿化带的树枝断了挡住了路",
                          datetime(2026, 9, 30, 2, 0, tzinfo=UTC))  # fmt: skip
    weekend = triage_mail(pages.sessions, web_config, 21, "单元门口的路灯坏了，晚上很黑",
                          datetime(2026, 11, 6, 2, 0, tzinfo=UTC))  # fmt: skip
    pages.sign_in("desk.wu")
    chinese = visible(pages.client.get(f"/tickets/{holiday}").text)
    assert "2026-10-01 四 · 节假日，不计 · 国庆节" in chinese
    assert "2026-10-10 六 · 调休上班日，计入 · 国庆节" in chinese
    assert "2026-11-07 六 · 周末，不计" in visible(pages.client.get(f"/tickets/{weekend}").text)
    english(pages)
    holidays = visible(pages.client.get(f"/tickets/{holiday}").text)
    assert "2026-10-01 Thu · public or company holiday, skipped · National Day" in holidays
    assert "2026-10-10 Sat · make-up working day (调休), counted · National Day" in holidays
    weekends = visible(pages.client.get(f"/tickets/{weekend}").text)
    assert "2026-11-07 Sat · weekend, skipped" in weekends
    with pages.sessions() as session:  # the same days, from the same code, as text
        explained = explain_ticket(session, holiday, config=web_config, now=pages.clock.now)
    assert "    2026-10-01 Thu: public or company holiday, skipped (National Day)" in explained


def test_today_and_the_queues_name_departments_and_statuses_in_words(pages: Pages) -> None:
    pages.sign_in("desk.wu")
    today = visible(pages.client.get("/today").text)
    assert "保洁部" in today
    assert "财务/收费" in today
    assert not words(today) & {"cleaning", "finance", "garbage", "desk"}
    queues = pages.client.get("/queues")
    assert '<option value="engineering" >工程维修部</option>' in queues.text
    text = visible(queues.text)
    assert "设施/产品投诉 / 电梯" in text
    assert "待处理" in text
    assert not words(text) & {"cleaning", "finance", "engineering", "open", "email", "lift"}
    english(pages)
    today = visible(pages.client.get("/today").text)
    assert "Cleaning" in today
    assert "Finance & fees" in today


def test_audit_details_read_in_words() -> None:
    labels = Labels("zh", {"engineering": "工程维修部"})
    recomputed = labels.details({"before": {"closure": "2026-10-09T02:00:00+00:00"},
                                 "after": {"closure": "2026-10-12T02:00:00+00:00"},
                                 "key": "secret-idempotency", "recipients": []})  # fmt: skip
    assert recomputed == [("原为", "办结 2026-10-09 10:00"), ("改为", "办结 2026-10-12 10:00")]
    assert labels.details({"to": "engineering", "from": "mystery"}) == [
        ("给", "工程维修部"), ("原", "mystery")]  # fmt: skip
    assert Labels("en", {}).code("event", "a_new_kind") == "a_new_kind"
    assert Labels("en", {}).department("pool_maintenance") == "pool_maintenance"
