"""The plain texts plaint sends (acknowledgements, notices, staff warnings), rendered from
a notification's template name and data in the recipient's language.

Chinese is the default; English where the resident's language is ``en``. The resident-loop
issue replaces these with configurable templates; until then this module is the one place
the wording lives. Rendering never truncates: an SMS longer than one segment is sent whole.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from plaint.errors import NotFoundError

__all__ = ["LANGUAGES", "Rendered", "category_name", "filed_as", "render", "sub_topic_name"]

LANGUAGES = ("zh", "en")

# (subject, body) by template and language; ``{name}`` fields come from the data, plus
# ``{filed_as}`` and ``{due}`` (a local time, "YYYY-MM-DD HH:MM").
_TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "ack": {
        "zh": ("[{ticket}] 您的投诉已受理",
               "您好，您的投诉已受理，编号 {ticket}，类别：{filed_as}。{promise}"
               "如需补充，请直接回复本消息。"),
        "en": ("[{ticket}] Your complaint has been received",
               "Your complaint has been received under number {ticket}, filed as "
               "{filed_as}. {promise}To add anything, simply reply to this message."),
    },
    "already_tracked": {
        "zh": ("[{ticket}] 问题已在处理中",
               "您好，您反映的问题已在处理中，编号 {ticket}，无需重复反映。"),
        "en": ("[{ticket}] Already being handled",
               "The problem you reported is already being handled under number {ticket}."),
    },
    "incident_resolved": {
        "zh": ("[{ticket}] 问题已处理",
               "您好，您反映的问题（编号 {ticket}）已处理完毕，感谢您的反馈。"),
        "en": ("[{ticket}] Resolved",
               "The problem you reported (number {ticket}) has been resolved. Thank you."),
    },
    "staff_reply": {
        "zh": ("[{ticket}] 物业回复", "您好，关于您的投诉（编号 {ticket}）：{text}"),
        "en": ("[{ticket}] Our reply", "About your complaint (number {ticket}): {text}"),
    },
    "email_too_large": {
        "zh": ("您的邮件过大，未能受理",
               "您好，您的邮件（{bytes} 字节）超过了可受理的大小，未能登记。"
               "请删减附件后重新发送，或致电物业服务中心。"),
        "en": ("Your mail was too large to take in",
               "Your mail ({bytes} bytes) is larger than we can take in, so it was not "
               "registered. Please send it again with smaller attachments, or call us."),
    },
    "sms_opted_out": {
        "zh": ("短信退订", "您已退订短信通知，将不再收到本服务的短信。回复“订阅”可恢复。"),
        "en": ("Unsubscribed",
               "You have unsubscribed and will get no more texts. Reply START to resume."),
    },
    "sms_opted_in": {
        "zh": ("短信订阅", "您已恢复接收短信通知。回复“退订”可取消。"),
        "en": ("Subscribed", "You will get texts again. Reply STOP to unsubscribe."),
    },
    "sla.warn": {
        "zh": ("[{ticket}] 时限预警",
               "工单 {ticket}（{department}）的{clock}时限将于 {due} 到期。"),
        "en": ("[{ticket}] Deadline warning",
               "Ticket {ticket} ({department}): the {clock} deadline is {due}."),
    },
    "sla.breach": {
        "zh": ("[{ticket}] 已超时",
               "工单 {ticket}（{department}）的{clock}时限已于 {due} 超时。"),
        "en": ("[{ticket}] Deadline missed",
               "Ticket {ticket} ({department}): the {clock} deadline passed at {due}."),
    },
    "sla.escalate": {
        "zh": ("[{ticket}] 升级处理",
               "工单 {ticket}（{department}）的{clock}时限已超时，已升级给您处理。"),
        "en": ("[{ticket}] Escalated to you",
               "Ticket {ticket} ({department}) missed its {clock} deadline and is "
               "escalated to you."),
    },
}  # fmt: skip
_PROMISE = {"zh": "我们将在 {due} 前首次答复您。", "en": "We will first respond by {due}. "}
_CLOCKS = {"zh": {"first_response": "首次响应", "closure": "办结"},
           "en": {"first_response": "first-response", "closure": "closure"}}  # fmt: skip
_CATEGORIES = {
    "zh": {"service": "服务投诉", "facility": "设施/产品投诉", "fee": "收费投诉",
           "management": "管理投诉"},
    "en": {"service": "service", "facility": "facilities", "fee": "fees",
           "management": "management"},
}  # fmt: skip
_SUB_TOPICS = {
    "zh": {"lift": "电梯", "water_leak": "漏水", "water_supply": "供水", "power": "供电",
           "gas": "燃气", "fire_safety": "消防", "door_access": "门禁", "public_facility":
           "公共设施", "drainage": "排水", "noise": "噪音", "parking": "停车", "security": "安保",
           "cleaning": "保洁", "garbage": "垃圾清运", "pest": "虫害", "greening": "绿化",
           "property_fee": "物业费", "utility_fee": "水电费", "invoice": "发票",
           "staff_attitude": "服务态度", "decoration": "装修", "pets": "宠物",
           "neighbour": "邻里", "construction_defect": "房屋质量", "other": "其他"},
    "en": {"water_leak": "water leak", "water_supply": "water supply", "fire_safety":
           "fire safety", "door_access": "door access", "public_facility": "public facilities",
           "property_fee": "property fee", "utility_fee": "utility fee", "staff_attitude":
           "staff attitude", "construction_defect": "construction defect",
           "neighbour": "neighbours"},
}  # fmt: skip


@dataclass(frozen=True)
class Rendered:
    """A message ready to send: ``body`` is the SMS or the mail's text part, ``html`` the
    mail's HTML alternative (the same text, escaped, one paragraph per line)."""

    subject: str
    body: str
    html: str


def category_name(category: str, *, language: str) -> str:
    """A category in words: "设施/产品投诉" / "facilities"; an unknown code as it is."""
    lang = language if language in LANGUAGES else "zh"
    return _CATEGORIES[lang].get(category, category)


def sub_topic_name(sub_topic: str, *, language: str) -> str:
    """A sub-topic in words: "电梯" / "lift"; an unknown code with spaces for ``_``."""
    lang = language if language in LANGUAGES else "zh"
    return _SUB_TOPICS[lang].get(sub_topic, sub_topic.replace("_", " "))


def filed_as(*, category: str, sub_topic: str, language: str) -> str:
    """What a ticket was filed as, in words: "设施/产品投诉 · 电梯" / "facilities: lift"."""
    lang = language if language in LANGUAGES else "zh"
    what = category_name(category, language=lang)
    topic = sub_topic_name(sub_topic, language=lang)
    return f"{what} · {topic}" if lang == "zh" else f"{what}: {topic}"


def _due(value: Any, zone: tzinfo) -> str:
    if not value:
        return ""
    return datetime.fromisoformat(str(value)).astimezone(zone).strftime("%Y-%m-%d %H:%M")


def render(template: str, data: Mapping[str, Any], *, language: str, zone: tzinfo) -> Rendered:
    """Render ``template`` with ``data`` in ``language`` (anything but ``en`` is Chinese).

    Times in the data (``first_response_due``, ``due_at``: ISO strings with an offset) are
    shown as wall times in ``zone``. Raises NotFoundError for a template with no text; a
    field the data lacks is shown as ``-``."""
    lang = "en" if language == "en" else "zh"
    texts = _TEXTS.get(template)
    if texts is None:
        raise NotFoundError(f"no text for template {template!r}")
    fields: dict[str, Any] = {"ticket": "-", "department": "-", **data}
    fields["clock"] = _CLOCKS[lang].get(str(data.get("clock")), str(data.get("clock", "")))
    fields["due"] = _due(data.get("due_at") or data.get("first_response_due"), zone)
    fields["filed_as"] = filed_as(
        category=str(data.get("category", "-")),
        sub_topic=str(data.get("sub_topic", "-")),
        language=lang,
    )
    due = _due(data.get("first_response_due"), zone)
    fields["promise"] = _PROMISE[lang].format(due=due) if due else ""
    subject, body = (text.format_map(_Missing(fields)) for text in texts[lang])
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in body.splitlines())
    return Rendered(subject=subject, body=body, html=f"<html><body>{paragraphs}</body></html>")


class _Missing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "-"
