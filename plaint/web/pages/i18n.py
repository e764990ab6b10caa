"""The pages' UI text in Chinese and English: a small table, not gettext (a few dozen
strings, edited together with the templates). A template asks ``t("key")``; a key missing
from a language falls back to Chinese, and a key missing from both shows the key itself,
so a forgotten string is visible rather than blank."""

from __future__ import annotations

from plaint.web.pages.notice_text import NOTICE_EN, NOTICE_ZH

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "translate"]

DEFAULT_LANGUAGE = "zh"
LANGUAGES = ("zh", "en")

_ZH = {
    "app": "投诉处理", "today": "今日", "queues": "队列", "review": "待复核",
    "incidents": "系列事件", "sign_in": "登录", "sign_out": "退出", "token": "访问令牌",
    "token_help": "用 plaint staff token 生成的令牌登录", "bad_token": "令牌无效或已吊销",
    "by_status": "各状态工单", "stages": "处理队列", "stage": "阶段", "depth": "积压",
    "oldest": "最早", "pollers": "渠道拉取", "source": "来源", "moved": "最近推进",
    "lag": "滞后", "at_risk": "即将超时", "breached": "已超时", "load": "各部门负荷",
    "department": "部门", "open": "未结", "unassigned": "未分派",
    "quarantined": "隔离的来件", "failing": "发送失败", "reason": "原因",
    "attempts": "尝试", "number": "编号", "status": "状态", "assignee": "处理人",
    "category": "类别", "sub_topic": "子类", "community": "小区", "channel": "渠道",
    "level": "级别", "urgency": "紧急度", "due": "截止", "time_left": "剩余",
    "received": "受理时间", "none": "无", "filter": "筛选", "any": "全部",
    "previous": "上一页", "next": "下一页", "of": "共", "messages": "往来消息",
    "timeline": "时限说明", "events": "操作记录", "actions": "操作", "resident": "住户",
    "delivery": "投递", "reply": "回复住户", "note": "内部备注", "assign": "分派",
    "claim": "我来处理", "transfer": "转部门", "wait": "等待住户", "resume": "恢复",
    "resolve": "已解决", "close": "关闭", "reopen": "重新打开", "reclassify": "改分类",
    "acknowledge": "确认升级", "merge": "合并到", "text": "内容", "to": "给",
    "needed": "需要住户提供", "resolution": "处理结果", "into": "目标工单",
    "submit": "提交", "done": "已完成", "not_found": "没有这张工单",
    "not_found_help": "工单不存在，或不属于您的部门。", "forbidden": "表单已过期，请重试",
    "confidence": "置信度", "correct": "改正", "residents": "反映住户",
    "resolve_all": "全部解决", "tickets": "工单", "language": "English",
    "refreshed": "更新于", "in": "入", "out": "出", "subject": "主题", "policy": "时限规则",
    "st_open": "待处理", "st_responded": "已回复", "st_waiting": "等待住户",
    "st_resolved": "已解决", "st_closed": "已关闭", "monthly": "月报",
    "new_complaint": "登记投诉", "find_resident": "输入电话、房号或姓名查找住户",
    "new_resident_help": "找不到时直接填写，将登记为新住户", "phone": "电话", "email": "邮箱",
    "name": "姓名", "building": "楼栋", "unit": "房号", "complaint": "投诉内容",
    "mode": "方式", "mode_phone": "电话", "mode_visit": "来访", "mode_letter": "书面/信函",
    "complained_at": "投诉时间", "codes": "分类（可选）", "taken": "已登记",
    "taken_help": "正在分拣，完成后自动打开工单", "forbidden_role": "您的角色不能登记投诉",
    "warnings": "预警", "place": "地点", "recent": "近期", "expected": "平时", "ratio": "倍数",
    "building_suffix": "栋", "whole_community": "全小区", "p_value": "偶然概率 p",
    "warnings_help": "近 {hours} 小时某小区或楼栋同一子类的投诉，与此前 {weeks} 周的平时水平比较"
                     "（泊松检验，p ≤ {p}，至少 {min} 件）。",
}  # fmt: skip
_EN = {
    "app": "Complaints", "today": "Today", "queues": "Queues", "review": "Review",
    "incidents": "Incidents", "sign_in": "Sign in", "sign_out": "Sign out", "token": "Token",
    "token_help": "Sign in with a token from plaint staff token",
    "bad_token": "The token is unknown or revoked", "by_status": "Tickets by status",
    "stages": "Queues of the flow", "stage": "Stage", "depth": "Waiting", "oldest": "Oldest",
    "pollers": "Pollers", "source": "Source", "moved": "Last moved", "lag": "Lag",
    "at_risk": "At risk", "breached": "Breached", "load": "Load per department",
    "department": "Department", "open": "Open", "unassigned": "Unassigned",
    "quarantined": "Quarantined inbox items", "failing": "Failing outbox rows",
    "reason": "Reason", "attempts": "Attempts", "number": "Number", "status": "Status",
    "assignee": "Assignee", "category": "Category", "sub_topic": "Sub-topic",
    "community": "Community", "channel": "Channel", "level": "Level", "urgency": "Urgency",
    "due": "Due", "time_left": "Time left", "received": "Received", "none": "none",
    "filter": "Filter", "any": "any", "previous": "Previous", "next": "Next", "of": "of",
    "messages": "Messages", "timeline": "SLA timeline", "events": "Audit trail",
    "actions": "Actions", "resident": "Resident", "delivery": "Delivery",
    "reply": "Reply to resident", "note": "Internal note", "assign": "Assign",
    "claim": "Claim", "transfer": "Transfer", "wait": "Wait on resident", "resume": "Resume",
    "resolve": "Resolve", "close": "Close", "reopen": "Reopen", "reclassify": "Reclassify",
    "acknowledge": "Acknowledge escalation", "merge": "Merge into", "text": "Text",
    "to": "To", "needed": "Needed from resident", "resolution": "Resolution",
    "into": "Ticket", "submit": "Submit", "done": "Done", "not_found": "No such ticket",
    "not_found_help": "The ticket does not exist, or is not your department's.",
    "forbidden": "The form expired; try again", "confidence": "Confidence",
    "correct": "Correct", "residents": "Residents", "resolve_all": "Resolve all",
    "tickets": "Tickets", "language": "中文", "refreshed": "Refreshed",
    "in": "in", "out": "out", "subject": "Subject", "policy": "Policy",
    "st_open": "open", "st_responded": "responded", "st_waiting": "waiting",
    "st_resolved": "resolved", "st_closed": "closed", "monthly": "Monthly report",
    "new_complaint": "New complaint", "find_resident": "Find a resident: phone, unit or name",
    "new_resident_help": "Not found? Fill in the fields: a new resident is added",
    "phone": "Phone", "email": "Email", "name": "Name", "building": "Building",
    "unit": "Unit", "complaint": "Complaint", "mode": "Taken by", "mode_phone": "phone",
    "mode_visit": "visit (来访)", "mode_letter": "letter (书面/信函)",
    "complained_at": "Complained at", "codes": "Codes (optional)", "taken": "Recorded",
    "taken_help": "Being triaged; the ticket opens by itself when it is",
    "forbidden_role": "Your role does not record complaints",
    "warnings": "Early warning", "place": "Place", "recent": "Recent", "expected": "Usual",
    "ratio": "Ratio", "building_suffix": "", "whole_community": "whole community",
    "p_value": "p-value",
    "warnings_help": "Complaints of one sub-topic in one community or building in the last "
                     "{hours} h against its usual rate over the {weeks} weeks before "
                     "(Poisson test, p ≤ {p}, at least {min} tickets).",
}  # fmt: skip
# The SLA timeline, the ticket page's outbox, Today's stages and the staff roles.
_TIMELINE_ZH = {
    "template": "模板", "sla_error": "无法计时", "no_sla": "本工单不计时限",
    "warn_at": "预警于", "provisional": "节假日安排未公布的年份（截止时间待定）：",
    "cycle": "第几轮", "started": "开始", "paused": "暂停", "paused_why": "等待住户，不计时",
    "since": "自", "paused_now": "截止时间顺延", "extended": "延期", "skipped": "不计",
    "counted": "计入", "met": "完成", "provisional_due": "暂定", "fired": "已触发",
    "coming": "即将触发", "nothing_yet": "尚无", "next_sweep": "下次巡检触发",
    "nothing_scheduled": "无", "stage_intake": "待入队", "stage_triage": "待分拣",
    "stage_outbox": "待发送", "role_member": "部门员工", "role_department_head": "部门负责人",
    "role_property_manager": "物业经理", "role_regional_manager": "区域经理",
    "role_desk": "客服", "role_admin": "管理员",
}  # fmt: skip
_TIMELINE_EN = {
    "template": "Template", "sla_error": "No SLA clocks", "no_sla": "No SLA clocks for this ticket",
    "warn_at": "warnings at", "provisional": "Due times depend on provisional calendar years:",
    "cycle": "cycle", "started": "started", "paused": "paused",
    "paused_why": "waiting on the resident: not counted", "since": "since",
    "paused_now": "the due time moves on", "extended": "extended", "skipped": "skipped",
    "counted": "counted", "met": "met", "provisional_due": "provisional", "fired": "Fired",
    "coming": "Next", "nothing_yet": "nothing yet", "next_sweep": "fires on the next sweep",
    "nothing_scheduled": "nothing scheduled", "stage_intake": "intake",
    "stage_triage": "triage", "stage_outbox": "outbox", "role_member": "member",
    "role_department_head": "department head", "role_property_manager": "property manager",
    "role_regional_manager": "regional manager", "role_desk": "desk", "role_admin": "admin",
}  # fmt: skip
_TABLES = {"zh": _ZH | NOTICE_ZH | _TIMELINE_ZH, "en": _EN | NOTICE_EN | _TIMELINE_EN}


def translate(language: str, key: str) -> str:
    """The UI text ``key`` in ``language`` (``zh`` or ``en``), else in Chinese, else
    ``key`` itself."""
    chinese = _TABLES["zh"]
    return _TABLES.get(language, chinese).get(key) or chinese.get(key, key)
