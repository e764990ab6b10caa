"""A dozen residents' complaints for ``plaint demo``, in Chinese and English, built as real
RFC 5322 messages (one GBK-encoded, one HTML-only, and a follow-up reply that joins its thread), as residents'
mail clients send them. The residents and addresses are invented."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

__all__ = ["DEMO_COMPLAINTS", "demo_messages"]

_DOMAIN = "residents.example"

# (sender name, local part, subject, body)
DEMO_COMPLAINTS: tuple[tuple[str, str, str, str], ...] = (
    (
        "王女士",
        "wang.li",
        "3号楼电梯困人！",
        "3号楼2单元的电梯停在12楼和13楼之间，里面困了一位老人，按警铃没人应，请马上派人来！",
    ),
    (
        "陈先生",
        "chen.gang",
        "楼上漏水",
        "我家是5栋1101，卫生间天花板一直在滴水，应该是楼上1201的水管坏了，已经两天了。",
    ),
    (
        "李阿姨",
        "li.mei",
        "小区停水什么时候恢复",
        "今天早上起7号楼一直没水，也没有看到停水通知，家里老人小孩没法做饭。",
    ),
    (
        "赵先生",
        "zhao.qiang",
        "晚上广场舞噪音太大",
        "每天晚上九点半以后中心花园还有人跳广场舞，音响声音很大，严重扰民，孩子没法睡觉。",
    ),
    (
        "孙女士",
        "sun.yan",
        "消防通道被私家车占用",
        "地下车库B区的消防通道长期停着两辆车，保安看到也不管，这很危险。",
    ),
    (
        "周先生",
        "zhou.bin",
        "垃圾两天没人清运",
        "2号楼门口的垃圾桶已经满了两天，气味很大，苍蝇很多，请尽快清运。",
    ),
    (
        "吴女士",
        "wu.fang",
        "物业费为什么涨价",
        "今年物业费从每平米2.5元涨到3.2元，没有开业主大会，也没有公示收费明细，要求解释。",
    ),
    (
        "郑先生",
        "zheng.hao",
        "客服态度恶劣",
        "昨天到物业前台咨询停车卡，工作人员态度很差，不耐烦，还说不归她管。",
    ),
    (
        "Mr. Brown",
        "tom.brown",
        "Lift out of order again",
        "The lift in Building 8 has been broken since Monday. This is the third time this month and my mother cannot use the stairs.",
    ),
    (
        "Ms. Garcia",
        "ana.garcia",
        "Cracks in the living room wall",
        "Large cracks have appeared in the living room wall of unit 6-402, which we received from the developer last year. Please arrange a warranty inspection.",
    ),
    (
        "Mr. Patel",
        "raj.patel",
        "Dog mess on the paths",
        "Owners keep walking their dogs off the lead and nobody cleans up after them near the playground.",
    ),
)
_GBK_COMPLAINT = (
    "刘先生",
    "liu.wei",
    "小区路灯不亮",
    "北门到6号楼的路灯坏了一个星期，晚上回家很黑，老人容易摔倒。",
)
_HTML_COMPLAINT = (
    "Mrs. Lee", "grace.lee", "Need a receipt for my parking fee",
    "<html><body><p>Hello,</p><p>I paid the <b>parking fee</b> for 2026 but never got an "
    "invoice or receipt. Please send one.</p></body></html>",
)  # fmt: skip


_REPLY = ("陈先生", "chen.gang", "Re: 楼上漏水", "补充一下：今天滴水更严重了，已经把吊顶泡坏了。")
_REPLY_TO = 1  # the index in DEMO_COMPLAINTS of the complaint the reply follows up


def _message_id(index: int) -> str:
    return f"<demo-{index}@{_DOMAIN}>"


def _message(name: str, local: str, subject: str, when: datetime, index: int) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"{name} <{local}@{_DOMAIN}>"
    message["To"] = "complaints@property.example"
    message["Subject"] = subject
    message["Date"] = format_datetime(when)
    message["Message-ID"] = _message_id(index)
    return message


def demo_messages(*, start: datetime) -> Iterator[bytes]:
    """Yield the demo mail as raw messages dated from ``start`` on, a few minutes apart:
    the complaints, one GBK-encoded and one HTML-only complaint, then a follow-up reply."""
    when = start.astimezone(UTC)
    for index, (name, local, subject, body) in enumerate(DEMO_COMPLAINTS):
        message = _message(name, local, subject, when, index)
        message.set_content(body)
        yield bytes(message)
        when += timedelta(minutes=7)
    name, local, subject, body = _GBK_COMPLAINT
    raw = (
        (
            f"From: {local}@{_DOMAIN}\r\nTo: complaints@property.example\r\n"
            f"Subject: =?gb2312?B?{_b64(subject.encode('gbk'))}?=\r\n"
            f"Message-ID: <gbk-demo-1@{_DOMAIN}>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        ).encode("ascii")
        + body.encode("gbk")
        + b"\r\n"
    )
    yield raw
    name, local, subject, body = _HTML_COMPLAINT
    message = _message(name, local, subject, when, len(DEMO_COMPLAINTS) + 1)
    message.set_content(body, subtype="html")
    yield bytes(message)
    name, local, subject, body = _REPLY
    message = _message(name, local, subject, when + timedelta(hours=1), len(DEMO_COMPLAINTS) + 2)
    message["In-Reply-To"] = _message_id(_REPLY_TO)
    message["References"] = _message_id(_REPLY_TO)
    message.set_content(body)
    yield bytes(message)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
