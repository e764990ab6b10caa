"""The codes the pages show, in the viewer's words: departments, channels, urgency, level,
statuses, outbox templates and delivery statuses, audit event names and their common
details, and the SLA timeline's parts (clocks, marks, budgets, skipped calendar days).

One table per kind of code, Chinese and English. A code no table knows is shown as it
is (a new code is visible, never a crash). Departments are named by the configuration
(``[[departments]] name``, Chinese): the Chinese view shows that name; the English view
shows :data:`DEPARTMENTS_EN` for the default departments (``defaults.toml``), else the
code, which is what an English reader can make out of a department a company added.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from plaint.pipeline.texts import category_name, sub_topic_name
from plaint.service.explain import CalendarDay

__all__ = ["DEPARTMENTS_EN", "LOCAL_ZONE", "Labels"]

# What the pages show times in: the company's (Chinese-first) local time.
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")

# English names of the default departments (defaults.toml; TAXONOMY.md).
DEPARTMENTS_EN = {
    "engineering": "Engineering & maintenance", "cleaning": "Cleaning",
    "security": "Security", "landscaping": "Landscaping", "finance": "Finance & fees",
    "customer_service": "Customer service", "developer": "Developer",
    "external": "External bodies",
}  # fmt: skip

_Table = Mapping[str, Mapping[str, str]]  # kind -> code -> text
_ZH: _Table = {
    "channel": {"email": "邮件", "sms": "短信", "phone": "电话", "desk": "客服登记",
                "wechat": "微信", "web": "网页"},
    "urgency": {"normal": "一般", "emergency": "紧急"},
    "level": {"1": "一级", "2": "二级"},
    "policy": {"default": "默认", "emergency": "紧急", "level-2": "二级投诉"},
    "validity": {"valid": "有效", "invalid": "无效"},
    "scope": {"1": "物业服务", "2": "开发商", "3": "外部单位"},
    "mode": {"phone": "电话", "visit": "来访", "letter": "书面/信函", "least_open": "未结最少者",
             "round_robin": "轮流", "manual": "手动"},
    "bool": {"True": "是", "False": "否"},
    "outbox": {"pending": "待发送", "sending": "发送中", "sent": "已发送", "failed": "发送失败",
               "delivered": "已送达", "undelivered": "未送达", "queued": "排队中"},
    "template": {
        "ack": "受理回执", "ack_promise": "受理承诺", "already_tracked": "已在处理",
        "staff_reply": "回复住户", "progress": "进度通知", "waiting": "请住户补充",
        "resolved": "处理结果", "closed": "办结通知", "incident_resolved": "系列事件已解决",
        "survey": "满意度回访", "survey_thanks": "回访致谢", "survey_reopened": "回访重开",
        "survey_low": "低分提醒", "sms_opted_out": "退订短信", "sms_opted_in": "恢复短信",
        "status_answer": "进度查询答复", "email_too_large": "邮件过大", "extended": "延期通知",
        "sla.warn": "时限预警", "sla.breach": "超时通知", "sla.escalate": "升级通知"},
    "event": {
        "received": "已收到", "classified": "分类", "sla_warn": "时限预警", "sla_breach": "超时",
        "sla_escalate": "升级", "routed": "分派部门", "sla_started": "开始计时",
        "sla_not_started": "未计时", "sla_recomputed": "重算时限", "message_received": "新来信",
        "note": "内部备注", "respond": "回复住户", "reply": "回复住户", "accept": "受理",
        "wait": "等待住户", "resume": "恢复", "resolve": "已解决", "close": "关闭",
        "reopen": "重新打开", "transfer": "转部门", "acknowledge": "确认升级", "assign": "分派",
        "claim": "认领", "assigned": "已分派", "plan": "处理方案", "extended": "延期",
        "reclassified": "改分类",
        "merged": "合并", "incident_joined": "并入系列事件", "policy_changed": "时限规则变更",
        "status_query": "住户查询进度", "survey_scheduled": "安排回访",
        "survey_answer": "回访答复", "survey_escalated": "回访升级"},
    "detail": {
        "category": "分类", "sub_topic": "子类", "department": "部门", "channel": "渠道",
        "level": "级别", "urgency": "紧急度", "validity": "有效性", "scope": "范围",
        "confidence": "置信度", "rules": "规则", "reason": "原因", "policy": "时限规则",
        "first_response_due": "首次响应截止", "closure_due": "办结截止",
        "resolution_due": "解决截止", "due": "截止", "until": "延至", "mode": "方式",
        "taken_by": "登记人", "text": "内容", "needed": "需要住户提供", "resolution": "处理结果",
        "to": "给", "from": "原",
        "assignee_from": "原处理人", "assignee_to": "新处理人",
        "target": "目标", "source": "来源工单", "into": "并入",
        "incident": "系列事件", "cycle": "轮次", "score": "评分", "before": "原为",
        "after": "改为", "assignee": "处理人", "inbox_id": "来件", "clock": "时限",
        "mark": "节点", "due_at": "截止", "recipients": "通知", "first_response": "首次响应"},
    "clock": {"first_response": "首次响应", "closure": "办结", "resolution": "解决"},
    "state": {"not_started": "未开始", "running": "计时中", "paused": "暂停",
              "met": "按时完成", "met_late": "超时完成", "breached": "已超时"},
    "mark": {"warn": "预警 {n}%", "breach": "超时", "escalate": "升级 第{n}级"},
    "day": {"make_up": "调休上班日，计入",
            "provisional_holiday": "法定节假日（{year} 年安排待公布），不计",
            "holiday": "节假日，不计", "weekend": "周末，不计", "non_working": "非工作日，不计"},
    "budget": {"working": "{n:g} 个工作日（只计工作日）", "hours": "{n:g} 小时（自然时间）",
               "minutes": "{n:g} 分钟（自然时间）"},
    "weekday": dict(zip("0123456", "一二三四五六日", strict=True)),
}  # fmt: skip
_EN: _Table = {
    "channel": {"email": "email", "sms": "SMS", "phone": "phone", "desk": "desk (taken by staff)",
                "wechat": "WeChat", "web": "web"},
    "urgency": {"normal": "normal", "emergency": "emergency"},
    "level": {"1": "level 1", "2": "level 2"},
    "policy": {"default": "default", "emergency": "emergency", "level-2": "level 2"},
    "validity": {"valid": "valid", "invalid": "invalid"},
    "scope": {"1": "property service", "2": "developer", "3": "outside body"},
    "mode": {"phone": "phone", "visit": "visit", "letter": "letter",
             "least_open": "fewest open tickets", "round_robin": "round robin",
             "manual": "by hand"},
    "bool": {"True": "yes", "False": "no"},
    "outbox": {"pending": "pending", "sending": "sending", "sent": "sent", "failed": "failed",
               "delivered": "delivered", "undelivered": "undelivered", "queued": "queued"},
    "template": {
        "ack": "acknowledgement", "ack_promise": "promise", "already_tracked": "already tracked",
        "staff_reply": "reply", "progress": "progress", "waiting": "waiting on resident",
        "resolved": "resolved", "closed": "closed", "incident_resolved": "incident resolved",
        "survey": "survey", "survey_thanks": "survey thanks", "survey_reopened": "survey reopened",
        "survey_low": "low survey score", "sms_opted_out": "SMS opt-out",
        "sms_opted_in": "SMS opt-in", "status_answer": "status answer",
        "email_too_large": "email too large", "extended": "extension",
        "sla.warn": "SLA warning", "sla.breach": "SLA breach", "sla.escalate": "escalation"},
    "event": {
        "received": "received", "classified": "classified", "sla_warn": "SLA warning",
        "sla_breach": "SLA breach", "sla_escalate": "escalation", "routed": "routed",
        "sla_started": "SLA started", "sla_not_started": "no SLA",
        "sla_recomputed": "SLA recomputed",
        "message_received": "message received", "note": "note", "respond": "replied",
        "reply": "replied", "accept": "accepted", "wait": "waiting on resident",
        "resume": "resumed", "resolve": "resolved", "close": "closed", "reopen": "reopened",
        "transfer": "transferred", "acknowledge": "escalation acknowledged",
        "assign": "assigned", "assigned": "assigned", "claim": "claimed", "plan": "plan",
        "extended": "extended",
        "reclassified": "reclassified", "merged": "merged", "incident_joined": "joined incident",
        "policy_changed": "policy changed", "status_query": "status query",
        "survey_scheduled": "survey scheduled", "survey_answer": "survey answer",
        "survey_escalated": "survey escalated"},
    "detail": {
        "category": "category", "sub_topic": "sub-topic", "department": "department",
        "channel": "channel", "level": "level", "urgency": "urgency", "validity": "validity",
        "scope": "scope", "confidence": "confidence", "rules": "rules", "reason": "reason",
        "policy": "policy", "first_response_due": "first response due",
        "closure_due": "closure due", "resolution_due": "resolution due", "due": "due",
        "until": "until", "mode": "by", "taken_by": "recorded by", "text": "text",
        "needed": "needed", "resolution": "resolution", "to": "to", "from": "from",
        "assignee_from": "previous handler", "assignee_to": "new handler",
        "target": "target", "source": "merged ticket", "into": "into", "incident": "incident",
        "cycle": "cycle", "score": "score", "before": "before", "after": "after",
        "assignee": "assignee", "inbox_id": "inbox item", "clock": "clock", "mark": "mark",
        "due_at": "due", "recipients": "notified", "first_response": "first response"},
    "clock": {"first_response": "first response", "closure": "closure",
              "resolution": "resolution"},
    "state": {"not_started": "not started", "running": "running", "paused": "paused",
              "met": "met in time", "met_late": "met late", "breached": "breached"},
    "mark": {"warn": "warning at {n}%", "breach": "breach", "escalate": "escalation step {n}"},
    "day": {"make_up": "make-up working day (调休), counted",
            "provisional_holiday": "statutory holiday ({year} schedule not yet published), skipped",
            "holiday": "public or company holiday, skipped", "weekend": "weekend, skipped",
            "non_working": "not a working day, skipped"},
    "budget": {"working": "{n:g} working days (working days only)",
               "hours": "{n:g} hours (clock time)", "minutes": "{n:g} minutes (clock time)"},
    "weekday": dict(zip("0123456", ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
                        strict=True)),
}  # fmt: skip
_TABLES = {"zh": _ZH, "en": _EN}
# Audit details never shown: internal keys (idempotency keys, delivery occurrences).
_HIDDEN = frozenset({"key", "occurrence", "idempotency_key"})
# Audit details whose value may be a department code (``to`` is a staff code for assign).
_DEPARTMENT_KEYS = frozenset({"department", "from", "to", "target", "before", "after"})


@dataclass(frozen=True)
class Labels:
    """The codes in ``language`` (``zh``, else ``en``); ``departments`` the configured
    (Chinese) department names by code."""

    language: str
    departments: Mapping[str, str]

    def code(self, kind: str, value: object) -> str:
        """``value`` (a code of ``kind``: channel, urgency, level, outbox, template, event,
        clock, state …) in words; the code itself when no table knows it."""
        if value is None or value == "":
            return "—"
        text = str(value)
        return _TABLES.get(self.language, _ZH).get(kind, {}).get(text, text)

    def department(self, code: str | None) -> str:
        """The department's name in the viewer's language (see the module docstring)."""
        if not code:
            return "—"
        if self.language == "zh":
            return self.departments.get(code, code)
        return DEPARTMENTS_EN.get(code, code)

    def span(self, value: timedelta | None) -> str:
        """A duration as ``-1d 3h`` / ``2h 05m`` (``-1天3小时`` / ``2小时05分``); negative:
        overdue."""
        if value is None:
            return "—"
        sign, seconds = ("-" if value < timedelta(0) else ""), abs(int(value.total_seconds()))
        days, rest = divmod(seconds, 86400)
        hours, minutes = rest // 3600, rest % 3600 // 60
        if self.language == "zh":
            return f"{sign}{days}天{hours}小时" if days else f"{sign}{hours}小时{minutes:02d}分"
        return f"{sign}{days}d {hours}h" if days else f"{sign}{hours}h {minutes:02d}m"

    def mark(self, mark: str) -> str:
        """A fired or coming SLA mark (``warn:50``, ``breach``, ``escalate:2``) in words."""
        name, _, n = mark.partition(":")
        return self.code("mark", name).format(n=n) if name in _ZH["mark"] else mark

    def budget(self, kind: str, seconds: float) -> str:
        """A clock's budget: working days, or hours/minutes of clock time."""
        if kind == "working":
            return self.code("budget", "working").format(n=seconds / 86400)
        if seconds % 3600:
            return self.code("budget", "minutes").format(n=seconds / 60)
        return self.code("budget", "hours").format(n=seconds / 3600)

    def day(self, found: CalendarDay) -> str:
        """A listed calendar day: its date, weekday, why it is listed and its holiday."""
        weekday = self.code("weekday", str(found.day.weekday()))
        reason = self.code("day", found.kind.value).format(year=found.day.year)
        holiday = ""
        if found.holiday is not None:
            holiday = f" · {found.holiday.zh if self.language == 'zh' else found.holiday.en}"
        return f"{found.day.isoformat()} {weekday} · {reason}{holiday}"

    def details(self, data: Mapping[str, Any]) -> list[tuple[str, str]]:
        """An audit event's details as (label, value) pairs in words; internal keys are
        left out, unknown keys keep their name."""
        shown = {k: v for k, v in data.items() if k not in _HIDDEN and v not in (None, "", [])}
        return [(self._key(key), self._value(key, value)) for key, value in shown.items()]

    def _key(self, key: str) -> str:
        """A detail's key in words (a clock's name for a clock: ``before``/``after`` of a
        recomputation map clocks to due times)."""
        return self.code("clock" if key in _ZH["clock"] else "detail", key)

    def _value(self, key: str, value: Any) -> str:
        if isinstance(value, Mapping):
            return ", ".join(f"{self._key(k)} {self._value(k, v)}" for k, v in value.items())
        if key == "rules" and isinstance(value, list) and self.language == "zh":
            return f"{len(value)} 条"  # the configuration's rule names are English codes
        if isinstance(value, list | tuple):
            return ", ".join(str(item) for item in value)
        text = str(value)
        if isinstance(value, bool):
            return self.code("bool", text)
        if key in _DEPARTMENT_KEYS and text in self.departments:
            return self.department(text)
        if key == "category":
            return category_name(text, language=self.language)
        if key == "sub_topic":
            return sub_topic_name(text, language=self.language)
        if key == "reason" and text.startswith("sub_topic:"):
            sub_topic = sub_topic_name(text.partition(":")[2], language=self.language)
            return f"{self.code('detail', 'sub_topic')} {sub_topic}"
        if key in ("channel", "urgency", "level", "validity", "scope", "mode", "policy", "clock"):
            return self.code(key, text)
        if key == "mark":
            return self.mark(text)
        if key == "confidence" and isinstance(value, float):
            return f"{value:.2f}"
        timed = key.endswith(("due", "due_at")) or key == "until" or key in _ZH["clock"]
        return _local_time(text) if timed else text


def _local_time(text: str) -> str:
    """An ISO time as local ``YYYY-MM-DD HH:MM``; other text unchanged."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        return text
    return moment.astimezone(LOCAL_ZONE).strftime("%Y-%m-%d %H:%M")
