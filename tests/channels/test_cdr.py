"""Call-detail-record CSV files read strictly: the shared samples, each layout, bad rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from plaint.channels import parse_payload
from plaint.channels.phone.cdr import BadRow, CdrLayout, GoodRow, parse_cdr, sniff_format
from plaint.channels.phone.folder import cdr_deliveries
from plaint.channels.phone.parse import CALLBACK_SUBJECT
from plaint.errors import MalformedMessageError
from plaint.inbound import ChannelKind
from tests.shared_data import eval_path

SHANGHAI = ZoneInfo("Asia/Shanghai")
ASTERISK = CdrLayout("asterisk", SHANGHAI)
FREESWITCH = CdrLayout("freeswitch", SHANGHAI)
NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def rows(text: str, layout: CdrLayout = ASTERISK) -> list[GoodRow | BadRow]:
    return list(parse_cdr(text, layout=layout))


def asterisk_row(
    *, src: str = "13800138000", disposition: str = "ANSWERED", dstchannel: str = "SIP/8001-01",
    userfield: str = "", uniqueid: str = "1.0",
) -> str:  # fmt: skip
    return (f'"","{src}","8001","from-pstn","""Zhang"" <{src}>","SIP/trunk-01","{dstchannel}",'
            f'"Dial","SIP/8001","2026-11-02 09:30:00","2026-11-02 09:30:05",'
            f'"2026-11-02 09:31:00",60,55,"{disposition}","DOCUMENTATION","{uniqueid}",'
            f'"{userfield}"')  # fmt: skip


@pytest.mark.parametrize(
    ("name", "count"),
    [("Master.csv", 2), ("Master2.csv", 1), ("cdrlib-good.csv", 5)],
)
def test_the_shared_asterisk_samples_parse(name: str, count: int) -> None:
    path = eval_path("cdr", "asterisk", name)
    expected = json.loads(eval_path("cdr", "asterisk", "expected.json").read_text())[name]
    read = rows(path.read_text())
    assert all(isinstance(r, GoodRow) for r in read)
    assert len(read) == count == expected["record_count"]
    assert sniff_format(path.read_text()) == "asterisk"


def test_the_shared_samples_keep_their_facts() -> None:
    good = rows(eval_path("cdr", "asterisk", "cdrlib-good.csv").read_text())
    statuses = [r.record["status"] for r in good if isinstance(r, GoodRow)]
    assert statuses == ["completed", "completed", "failed", "no-answer", "busy"]
    first = good[0]
    assert isinstance(first, GoodRow)
    assert first.record["caller_name"] == "Test User"  # the doubled quotes undone
    # All five share a uniqueid, yet are five records: five external ids.
    assert len({r.external_id for r in good}) == 5
    master = rows(eval_path("cdr", "asterisk", "Master.csv").read_text())
    assert [r.record["call_id"] for r in master if isinstance(r, GoodRow)] == [
        "1270167992.0", "1270168442.0"
    ]  # fmt: skip


def test_the_malformed_sample_is_rejected_with_its_line() -> None:
    path = eval_path("cdr", "asterisk", "cdrlib-buggy.csv")
    [bad] = rows(path.read_text())
    assert isinstance(bad, BadRow)
    assert bad.line == 1
    assert "quot" in bad.reason
    [delivery] = cdr_deliveries(path.read_bytes(), name=path.name, source="desk",
                                layout=ASTERISK, modified=NOW, now=NOW)  # fmt: skip
    assert delivery.quarantine == (
        "bad_cdr_row: cdrlib-buggy.csv line 1: bad CSV quoting (unexpected end of data)"
    )


def test_a_bad_row_does_not_hide_the_rows_after_it() -> None:
    text = "\n".join([asterisk_row(uniqueid="1.0"), '"only","three","fields"',
                      asterisk_row(uniqueid="2.0", disposition="MAYBE"),
                      asterisk_row(uniqueid="3.0")])  # fmt: skip
    read = rows(text)
    assert [type(r).__name__ for r in read] == ["GoodRow", "BadRow", "BadRow", "GoodRow"]
    assert [(r.line, r.reason) for r in read if isinstance(r, BadRow)] == [
        (2, "an Asterisk row has 18 or 21 fields, this one 3"), (3, "unknown disposition")
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("field_index", "value", "reason"),
    [(9, "yesterday", "start is not a date"), (12, "sixty", "duration is not a whole number")],
)
def test_fields_are_checked(field_index: int, value: str, reason: str) -> None:
    fields = asterisk_row().split(",")
    fields[field_index] = f'"{value}"'
    [bad] = rows(",".join(fields))
    assert isinstance(bad, BadRow)
    assert bad.reason.startswith(reason)


def test_an_asterisk_row_becomes_a_call_record() -> None:
    [row] = rows(asterisk_row(userfield="业主反映电梯异响"))
    assert isinstance(row, GoodRow)
    assert row.record == {
        "call_id": "1.0", "caller": "13800138000", "caller_name": "Zhang", "called": "8001",
        "started_at": "2026-11-02T09:30:00+08:00", "duration": 60, "status": "completed",
        "agent": "SIP/8001-01", "notes": "业主反映电梯异响",
        "origin": {"format": "asterisk", "disposition": "ANSWERED"},
    }  # fmt: skip


FREESWITCH_ROW = ('"Li","13900139000","8001","default","2026-11-02 10:00:00","",'
                  '"2026-11-02 10:00:30","30","0","NO_ANSWER",'
                  '"a1b2c3d4-0000-4000-8000-000000000001","","","PCMA","PCMA"')  # fmt: skip


def test_a_freeswitch_row_becomes_a_missed_call() -> None:
    assert sniff_format(FREESWITCH_ROW) == "freeswitch"
    [row] = rows(FREESWITCH_ROW, FREESWITCH)
    assert isinstance(row, GoodRow)
    assert (row.record["status"], row.record["call_id"]) == (
        "no-answer", "a1b2c3d4-0000-4000-8000-000000000001"
    )  # fmt: skip
    assert row.external_id.startswith("cdr:a1b2c3d4-0000-4000-8000-000000000001:")


def test_a_column_map_reads_the_agents_notes() -> None:
    layout = CdrLayout("columns", SHANGHAI, (
        ("caller", "主叫"), ("started_at", "开始时间"), ("notes", "坐席备注"), ("status", "结果"),
    ))  # fmt: skip
    text = ("序号,主叫,开始时间,结果,坐席备注\n"
            "1,13800138000,2026-11-02 09:00,已接听,\"3栋电梯困人,\"\"已派工\"\"\"\n"
            "2,13800138001,2026/11/02 09:05,未接,\n"
            "3,13800138002,2026-11-02 09:07\n")  # fmt: skip
    read = rows(text, layout)
    first, second, third = read
    assert isinstance(first, GoodRow)
    assert isinstance(second, GoodRow)
    assert first.record["notes"] == '3栋电梯困人,"已派工"'
    assert second.record["status"] == "no-answer"
    assert isinstance(third, BadRow)
    assert (third.line, third.reason) == (4, "the header has 5 fields, this row 3")


def test_a_column_map_naming_a_missing_column_rejects_the_file() -> None:
    layout = CdrLayout("columns", SHANGHAI, (("caller", "主叫"), ("started_at", "时间")))
    [bad] = rows("主叫,开始时间\n13800138000,2026-11-02 09:00\n", layout)
    assert isinstance(bad, BadRow)
    assert (bad.line, bad.reason) == (1, "header: no column for started_at")


def call(record: dict[str, object]) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode()


@pytest.mark.parametrize(
    ("record", "subject", "body"),
    [
        ({"caller": "13800138000", "status": "completed", "notes": "楼道灯坏了"}, "",
         "楼道灯坏了"),
        ({"caller": "13800138000", "status": "no-answer"}, CALLBACK_SUBJECT, None),
        ({"caller": "13800138000", "status": "completed", "agent": ""}, CALLBACK_SUBJECT, None),
        ({"caller": "13800138000", "status": "busy", "transcript": "留言：停水"}, "",
         "留言：停水"),
        ({"From": "+8613800138000", "CallStatus": "no-answer", "CallSid": "CA1"},
         CALLBACK_SUBJECT, None),
        ({"caller": "13800138000", "status": "completed", "agent": "SIP/8001"}, "", ""),
    ],
)  # fmt: skip
def test_what_a_call_record_becomes(
    record: dict[str, object], subject: str, body: str | None
) -> None:
    message = parse_payload(ChannelKind.PHONE, call(record), received_at=NOW)
    assert message.sender == "+8613800138000"
    assert message.subject == subject
    if body is not None:
        assert message.body == body
    else:
        assert message.body


def test_a_record_marked_malformed_stays_rejected_with_its_reason() -> None:
    payload = call({"malformed": "bad_cdr_row: a.csv line 3: unknown disposition"})
    with pytest.raises(MalformedMessageError) as info:
        parse_payload(ChannelKind.PHONE, payload, received_at=NOW)
    assert info.value.reason == "bad_cdr_row: a.csv line 3: unknown disposition"


def test_a_row_without_a_caller_number_is_quarantined_with_its_line() -> None:
    data = (asterisk_row() + "\n" + asterisk_row(src="", uniqueid="9.0") + "\n").encode()
    deliveries = cdr_deliveries(data, name="Master.csv", source="desk", layout=ASTERISK,
                                modified=NOW, now=NOW)  # fmt: skip
    assert [d.quarantine for d in deliveries] == [None, "bad_phone: Master.csv line 2"]
    assert deliveries[0].received_at == datetime(2026, 11, 2, 1, 30, tzinfo=UTC)
    assert deliveries[0].channel is ChannelKind.PHONE


def test_gb18030_exports_are_read() -> None:
    layout = CdrLayout("columns", SHANGHAI, (("caller", "主叫"), ("started_at", "开始时间"),
                                             ("notes", "备注")))  # fmt: skip
    data = "主叫,开始时间,备注\n13800138000,2026-11-02 09:00,漏水\n".encode("gb18030")
    [delivery] = cdr_deliveries(data, name="x.csv", source="desk", layout=layout,
                                modified=NOW, now=NOW)  # fmt: skip
    assert json.loads(delivery.payload)["notes"] == "漏水"
