"""The public notice's UI text in Chinese and English (merged into :mod:`i18n`'s tables;
kept apart so the notice's strings are edited with its templates)."""

from __future__ import annotations

__all__ = ["NOTICE_EN", "NOTICE_ZH"]

NOTICE_ZH = {
    "notices": "公示", "nt_title": "投诉处理情况公示", "nt_month": "{year}年{month}月",
    "nt_received": "受理投诉", "nt_unit_tickets": "件", "nt_valid": "有效投诉",
    "nt_answered": "一级投诉24小时内答复率", "nt_closed_in_time": "二级投诉3个工作日内办结率",
    "nt_target": "目标", "nt_median": "办结用时中位数", "nt_hours": "小时",
    "nt_median_h": "办结用时中位数（小时）",
    "nt_closed": "已办结", "nt_by_type": "投诉类型", "nt_type": "类型", "nt_share": "占比",
    "nt_top": "主要问题及处理情况", "nt_problem": "问题", "nt_dept": "负责部门",
    "nt_none": "本月未受理投诉。", "nt_footer": "统计截至 {as_of}。本公示不含任何个人信息；"
    "达标率只计已到期或已处理的投诉。如有意见，请联系物业服务中心。",
    "nt_print": "打印", "nt_share_link": "分享给业主委员会", "nt_days": "有效天数",
    "nt_make_link": "生成链接", "nt_links": "已分享的链接", "nt_expires": "到期",
    "nt_by": "创建人", "nt_created": "创建时间", "nt_state": "状态", "nt_live": "有效",
    "nt_expired": "已过期", "nt_revoked": "已撤销", "nt_revoke": "撤销",
    "nt_new_link": "新链接（只显示这一次，请复制）：", "nt_gone": "此链接已失效",
    "nt_gone_help": "链接已过期或已被撤销，请向物业服务中心索取新的链接。",
    "nt_unknown": "没有这个公示", "nt_unknown_help": "请检查链接是否完整。",
    "nt_communities": "各小区公示", "nt_open": "查看", "nt_other_lang": "English",
    "nt_count": "件数", "nt_no_due": "本月无到期", "nt_pick_month": "月份",
    # the desk's intake status page (taken.html)
    "item_pending": "待分拣", "item_done": "已分拣", "item_quarantined": "已隔离",
}  # fmt: skip
NOTICE_EN = {
    "notices": "Notices", "nt_title": "Complaints handled: public notice",
    "nt_month": "{year}-{month:02d}", "nt_received": "Complaints received",
    "nt_unit_tickets": "tickets", "nt_valid": "valid",
    "nt_answered": "Level-1 answered within 24 h",
    "nt_closed_in_time": "Level-2 closed within 3 working days", "nt_target": "target",
    "nt_median": "Median time to close",
    "nt_median_h": "Median hours to close", "nt_hours": "h", "nt_closed": "Closed",
    "nt_by_type": "Complaints by type", "nt_type": "Type", "nt_share": "Share",
    "nt_top": "The main problems and what was done", "nt_problem": "Problem",
    "nt_dept": "Handled by", "nt_none": "No complaints were received this month.",
    "nt_footer": "Figures as of {as_of}. This notice holds no personal data; shares count "
    "only deadlines that are due or met. Questions: the property service centre.",
    "nt_print": "Print", "nt_share_link": "Share with the owners' committee",
    "nt_days": "Days valid", "nt_make_link": "Make a link", "nt_links": "Links shared",
    "nt_expires": "Expires", "nt_by": "Made by", "nt_created": "Made at", "nt_state": "State",
    "nt_live": "live", "nt_expired": "expired", "nt_revoked": "revoked", "nt_revoke": "Revoke",
    "nt_new_link": "New link (shown only this once; copy it):",
    "nt_gone": "This link no longer works",
    "nt_gone_help": "It has expired or was revoked; ask the property service centre for a new one.",
    "nt_unknown": "No such notice", "nt_unknown_help": "Check that the link is complete.",
    "nt_communities": "Notices by community", "nt_open": "Open", "nt_other_lang": "中文",
    "nt_count": "Count", "nt_no_due": "none due", "nt_pick_month": "Month",
    "item_pending": "pending", "item_done": "done", "item_quarantined": "quarantined",
}  # fmt: skip
