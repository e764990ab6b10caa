"""The demo's residents who text and call, and the company's resident directory.

Three residents send SMS (to the demo's own webhook, signed as Twilio signs it); one of
them, 陈先生, also mailed (:mod:`plaint.demo.mail`) and is in the directory with both his
address and his number, so his text continues his mail's ticket instead of opening one.
The call centre exports three calls as a CSV file with Chinese headers (one missed call:
a call-back request). The names and numbers are invented.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

__all__ = [
    "CALLS",
    "CALL_COLUMNS",
    "DIRECTORY",
    "REPLY",
    "TEXTS",
    "Text",
    "call_centre_csv",
    "sms_params",
]


@dataclass(frozen=True)
class Text:
    """One resident's SMS: who sends it and what it says."""

    name: str
    phone: str
    body: str


TEXTS: tuple[Text, ...] = (
    Text("黄女士", "+8613912340001",
         "12号楼地下车库入口的道闸坏了，车进不去也出不来，麻烦尽快派人修一下。"),
    Text("Mr. Smith", "+8613912340002",
         "Hi, the entry gate of Building 9 has not locked for three days and strangers "
         "walk in at night. Please fix it."),
    Text("陈先生", "+8613912340003",
         "楼上漏水还是没人来看，刚才又滴到床上了，今天一定要派人来！"),
)  # fmt: skip

# The directory rows (plaint.service.residents FIELDS): the SMS residents, 陈先生 with his
# mail address too.
DIRECTORY: tuple[dict[str, str], ...] = (
    {"name": "黄女士", "phone": "+8613912340001", "building": "12", "unit": "1-302"},
    {"name": "Mr. Smith", "phone": "+8613912340002", "building": "9", "unit": "2-1501",
     "language": "en"},
    {"name": "陈先生", "phone": "+8613912340003", "email": "chen.gang@residents.example",
     "building": "5", "unit": "1101"},
)  # fmt: skip

# The call centre's export: its headers, and the ``columns`` map of the cdr-folder source.
CALL_COLUMNS: tuple[tuple[str, str], ...] = (
    ("call_id", "通话编号"), ("caller", "主叫号码"), ("caller_name", "客户姓名"),
    ("started_at", "来电时间"), ("duration", "通话时长"), ("status", "接听状态"),
    ("agent", "坐席"), ("notes", "坐席备注"),
)  # fmt: skip
# (call id, number, name, minutes ago, seconds, status, agent, the agent's notes)
CALLS: tuple[tuple[str, str, str, int, int, str, str, str], ...] = (
    ("CC20261130001", "13700000011", "马先生", 25, 95, "已接", "8001",
     "业主反映7号楼2单元楼道声控灯不亮已经一周，晚上上下楼看不见，要求尽快维修。"),
    ("CC20261130002", "13700000012", "", 18, 0, "未接", "", ""),
    ("CC20261130003", "13700000013", "何女士", 9, 140, "已接", "8002",
     "业主投诉隔壁1502装修每天早上七点就开始电钻施工，严重影响休息，要求物业管一管。"),
)  # fmt: skip

# The demo desk's reply (through the staff API) to the first SMS resident's ticket.
REPLY = "维修师傅已到12号楼车库入口检修道闸，预计30分钟内恢复通行，给您带来不便敬请谅解。"


def sms_params(text: Text, *, account: str, to: str) -> dict[str, str]:
    """The form Twilio posts to the SMS webhook for ``text`` (a fresh MessageSid)."""
    sid = "SM" + uuid.uuid4().hex
    return {"MessageSid": sid, "SmsSid": sid, "AccountSid": account, "From": text.phone,
            "To": to, "Body": text.body, "NumMedia": "0", "NumSegments": "1"}  # fmt: skip


def call_centre_csv(*, now: datetime, zone: tzinfo) -> bytes:
    """The call centre's export of :data:`CALLS`, stamped minutes before ``now`` in the
    company's ``zone``: UTF-8 with a header row, as the cdr-folder source reads it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([header for _field, header in CALL_COLUMNS])
    for call_id, number, name, ago, seconds, status, agent, notes in CALLS:
        at = (now - timedelta(minutes=ago)).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
        writer.writerow([call_id, number, name, at, seconds, status, agent, notes])
    return buffer.getvalue().encode("utf-8")
