"""The texts plaint sends (resident messages, staff notices), rendered from a
notification's template name and data in the recipient's language.

The wording is configuration, not code: :class:`Templates` holds a subject and a body per
template and language, read from the TOML business configuration (the packaged texts in
``plaint/config/messages.toml``, overridable per template and language). Templates are
:class:`string.Template` strings (``${ticket}``): substitution only, no expressions, so a
file staff edit cannot run code; :func:`check_templates` refuses, at load, a template that
names a variable its notification never carries (:data:`VARIABLES`).

Chinese is the default; English where the resident's language is ``en``. Rendering never
truncates: an SMS longer than one segment is sent whole.
"""

from __future__ import annotations

import html
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from plaint.errors import ConfigError, NotFoundError

__all__ = [
    "LANGUAGES",
    "VARIABLES",
    "Rendered",
    "Templates",
    "category_name",
    "check_templates",
    "filed_as",
    "local_time",
    "render",
    "sub_topic_name",
]

LANGUAGES = ("zh", "en")
MISSING = "-"  # what a variable the notification's data lacks is shown as
# The status answer's data: ``tickets``, a list of {ticket, status, department, due_at};
# its ``lines`` are rendered from ``status_line`` (or ``status_none``) for each.
STATUS_ANSWER = "status_answer"

_TICKET = frozenset({"ticket", "department"})
_SLA = _TICKET | {"clock", "due"}
# The variables each template may name. The data of a notification provides them; the
# computed ones (``filed_as``, ``first_response_due``, ``due``, ``clock``) come from
# :func:`render`.
VARIABLES: Mapping[str, frozenset[str]] = {
    "ack": _TICKET | {"filed_as", "first_response_due", "promise"},
    "ack_promise": frozenset({"first_response_due"}),
    "already_tracked": _TICKET,
    "staff_reply": _TICKET | {"text"},
    "progress": _TICKET | {"text"},
    "waiting": _TICKET | {"needed"},
    "resolved": _TICKET | {"resolution"},
    "closed": _TICKET,
    "incident_resolved": _TICKET,
    "survey": _TICKET,
    "survey_thanks": _TICKET | {"score"},
    "survey_reopened": _TICKET | {"score"},
    "survey_low": _TICKET | {"score", "comment"},
    "sms_opted_out": frozenset(),
    "sms_opted_in": frozenset(),
    "status_answer": frozenset({"lines", "count"}),
    "status_line": _TICKET | {"status", "due"},
    "status_none": frozenset(),
    "email_too_large": frozenset({"bytes"}),
    "extended": _TICKET | {"reason", "due"},
    "sla.warn": _SLA,
    "sla.breach": _SLA,
    "sla.escalate": _SLA,
    "warning.spike": frozenset({"place", "topic", "recent", "expected", "tickets"}),
}

_CLOCKS = {"zh": {"first_response": "首次响应", "closure": "办结"},
           "en": {"first_response": "first-response", "closure": "closure"}}  # fmt: skip
_STATUSES = {
    "zh": {"open": "已受理", "responded": "处理中", "waiting": "待您补充", "resolved": "已处理",
           "closed": "已办结"},
    "en": {"open": "received", "responded": "in progress", "waiting": "waiting for you",
           "resolved": "resolved", "closed": "closed"},
}  # fmt: skip
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
class Text:
    """One template in one language: the mail subject and the body (SMS or mail text)."""

    subject: string.Template
    body: string.Template


@dataclass(frozen=True)
class Templates:
    """Every template's texts by name and language (``zh`` must exist; ``en`` falls back
    to ``zh`` when a template has no English)."""

    texts: Mapping[str, Mapping[str, Text]] = field(default_factory=dict)

    def text(self, name: str, language: str) -> Text:
        """The text of ``name`` in ``language``; raise NotFoundError if there is none."""
        by_language = self.texts.get(name)
        if not by_language:
            raise NotFoundError(f"no text for template {name!r}")
        return by_language.get(language) or by_language["zh"]


def _identifiers(source: str, where: str) -> Iterator[str]:
    template = string.Template(source)
    if not template.is_valid():
        raise ConfigError(f"{where}: a '$' that starts no ${{name}} (write $$ for a '$')")
    yield from template.get_identifiers()


def check_templates(raw: Mapping[str, Mapping[str, Mapping[str, str]]]) -> Templates:
    """Build :class:`Templates` from ``{name: {language: {"subject", "body"}}}``.

    Raises ConfigError naming ``messages.templates.NAME.LANG.KEY`` for an unknown template
    name or language, a text naming a variable the template never has (the allowed ones
    are listed), a stray ``$``, or a template without Chinese."""
    texts: dict[str, dict[str, Text]] = {}
    for name, by_language in raw.items():
        allowed = VARIABLES.get(name)
        if allowed is None:
            raise ConfigError(f"messages.templates.{name}: unknown template")
        if "zh" not in by_language:
            raise ConfigError(f"messages.templates.{name}: no zh text")
        for language, parts in by_language.items():
            if language not in LANGUAGES:
                raise ConfigError(f"messages.templates.{name}.{language}: unknown language")
            for part in ("subject", "body"):
                where = f"messages.templates.{name}.{language}.{part}"
                for variable in _identifiers(parts.get(part, ""), where):
                    if variable not in allowed:
                        known = ", ".join(sorted(allowed)) or "none"
                        raise ConfigError(
                            f"{where}: unknown variable ${{{variable}}} (known: {known})"
                        )
            texts.setdefault(name, {})[language] = Text(
                subject=string.Template(parts.get("subject", "")),
                body=string.Template(parts.get("body", "")),
            )
    return Templates(texts=texts)


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


def local_time(value: Any, zone: tzinfo) -> str:
    """An ISO time with an offset as a wall time in ``zone`` ("YYYY-MM-DD HH:MM"); the
    empty string for no value."""
    if not value:
        return ""
    return datetime.fromisoformat(str(value)).astimezone(zone).strftime("%Y-%m-%d %H:%M")


def status_word(status: str, language: str) -> str:
    """A ticket status in the resident's words."""
    return _STATUSES["en" if language == "en" else "zh"].get(status, status)


def render(
    template: str, data: Mapping[str, Any], *, language: str, zone: tzinfo, templates: Templates
) -> Rendered:
    """Render ``template`` with ``data`` in ``language`` (anything but ``en`` is Chinese).

    Times in the data (``first_response_due``, ``due_at``: ISO strings with an offset) are
    shown as wall times in ``zone``, the resident's local time. Raises NotFoundError for a
    template with no text; a variable the data lacks is shown as ``-`` (the names
    themselves were checked at load)."""
    lang = "en" if language == "en" else "zh"
    if template == STATUS_ANSWER:
        data = {**data, **_status_lines(data.get("tickets") or [], lang, zone, templates)}
    text = templates.text(template, lang)
    fields: dict[str, Any] = {key: value for key, value in data.items() if value is not None}
    fields["clock"] = _CLOCKS[lang].get(str(data.get("clock")), str(data.get("clock") or ""))
    fields["due"] = local_time(data.get("due_at") or data.get("first_response_due"), zone)
    fields["first_response_due"] = local_time(data.get("first_response_due"), zone)
    fields["filed_as"] = filed_as(
        category=str(data.get("category", MISSING)),
        sub_topic=str(data.get("sub_topic", MISSING)),
        language=lang,
    )
    if "status" in data:
        fields["status"] = status_word(str(data["status"]), lang)
    values = _Missing({key: value if value != "" else MISSING for key, value in fields.items()})
    values["promise"] = _promise(fields["first_response_due"], lang, templates)
    subject, body = text.subject.substitute(values), text.body.substitute(values)
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in body.splitlines())
    return Rendered(subject=subject, body=body, html=f"<html><body>{paragraphs}</body></html>")


def _promise(due: str, lang: str, templates: Templates) -> str:
    """The acknowledgement's promise of a first response by ``due`` ("" without one)."""
    if not due:
        return ""
    return templates.text("ack_promise", lang).body.substitute(first_response_due=due)


def _status_lines(
    tickets: list[Mapping[str, Any]], lang: str, zone: tzinfo, templates: Templates
) -> dict[str, Any]:
    """A status answer's ``lines`` (one ``status_line`` per ticket, or ``status_none``)
    and ``count``."""
    if not tickets:
        empty = render("status_none", {}, language=lang, zone=zone, templates=templates)
        return {"lines": empty.body, "count": 0}
    lines = [render("status_line", entry, language=lang, zone=zone, templates=templates).body
             for entry in tickets]  # fmt: skip
    return {"lines": "\n".join(lines), "count": len(lines)}


class _Missing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return MISSING
