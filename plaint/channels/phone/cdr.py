"""Call-detail-record CSV files read strictly into call records.

Three layouts (their columns are summarised in ``../shared/eval/cdr/FORMATS.md``):

- ``asterisk``: ``cdr_csv``'s Master.csv: no header, 18 columns (``loguniqueid`` and
  ``loguserfield`` on) or 21 (``newcdrcolumns`` too); ``userfield`` is read as the agent's
  notes and ``dstchannel`` (party B) as the agent;
- ``freeswitch``: ``mod_cdr_csv``'s default ``example`` template, 15 columns, no header;
  ``bleg_uuid`` (the answering leg) is read as the agent;
- ``columns``: a header row, and a map from call-record fields to header names (e.g.
  ``notes = "坐席备注"``); stamps ``YYYY-MM-DD HH:MM[:SS]``.

Each record becomes a :data:`CallRecord` — the JSON object the phone channel stores, see
:mod:`plaint.channels.phone.parse` — or a :class:`BadRow` naming its line and why it is
malformed, without quoting it. Strict: a wrong number of fields, a quote left open, a
stamp or duration that does not parse, an unknown disposition: each is a bad row, and the
rows after it are read on. Stamps are local time of the configured zone.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

__all__ = [
    "FORMATS",
    "BadRow",
    "CallRecord",
    "CdrLayout",
    "GoodRow",
    "decode_cdr",
    "parse_cdr",
    "sniff_format",
]

CallRecord = dict[str, Any]
FORMATS = ("asterisk", "freeswitch", "columns")

# Asterisk dispositions and FreeSWITCH's Q.850 hang-up causes as Twilio's call statuses,
# the vocabulary of a stored call record (completed, no-answer, busy, failed, canceled).
_DISPOSITIONS = {
    "ANSWERED": "completed", "NO ANSWER": "no-answer", "BUSY": "busy", "FAILED": "failed",
    "CONGESTION": "failed",
    "COMPLETED": "completed", "NO-ANSWER": "no-answer", "CANCELED": "canceled",
    "已接": "completed", "已接听": "completed", "接通": "completed", "未接": "no-answer",
    "未接听": "no-answer", "无人接听": "no-answer", "占线": "busy", "呼损": "failed",
}  # fmt: skip
_ASTERISK_DISPOSITIONS = ("ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION")
_Q850_STATUS = {
    "USER_BUSY": "busy", "NO_ANSWER": "no-answer", "NO_USER_RESPONSE": "no-answer",
    "ALLOTTED_TIMEOUT": "no-answer", "ORIGINATOR_CANCEL": "canceled",
}  # fmt: skip
_Q850_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
_ASTERISK_WIDTHS = (18, 21)
_FREESWITCH_WIDTH = 15
_STAMP_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M")
# "Name" <number> in Asterisk's clid column.
_CLID_NAME = re.compile(r'^\s*"?(?P<name>[^"<]*?)"?\s*<[^>]*>\s*$')
_FALLBACK_ENCODING = "gb18030"


class _RowError(ValueError):
    """Why a row is malformed; the message never quotes the row."""


@dataclass(frozen=True)
class CdrLayout:
    """How to read a file: the format, the ``columns`` map (field -> header name) of the
    ``columns`` format, and the time zone of the stamps."""

    format: str
    timezone: ZoneInfo
    columns: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class GoodRow:
    """A record read: its first ``line`` (1-based), the call record and a stable id made
    of the PBX's call id (if any) and a digest of the record's fields."""

    line: int
    record: CallRecord
    external_id: str


@dataclass(frozen=True)
class BadRow:
    """A malformed record: its first ``line``, ``reason`` (no content) and ``raw`` text."""

    line: int
    reason: str
    raw: str
    external_id: str


def decode_cdr(data: bytes, *, encoding: str = "auto") -> str:
    """The text of a CSV file: ``auto`` reads UTF-8 (a BOM is dropped), else GB18030 (the
    superset of GBK that Chinese call-centre software exports); raises UnicodeDecodeError
    for a named encoding that does not fit."""
    if encoding != "auto":
        return data.decode(encoding)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode(_FALLBACK_ENCODING, errors="replace")


def sniff_format(text: str) -> str | None:
    """``asterisk`` or ``freeswitch`` when the first record has that layout's width, else
    ``None`` (a ``columns`` file needs its map, so it is never guessed)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    try:
        fields = next(csv.reader([first], strict=True))
    except (csv.Error, StopIteration):
        return None
    if len(fields) in _ASTERISK_WIDTHS:
        return "asterisk"
    if len(fields) == _FREESWITCH_WIDTH:
        return "freeswitch"
    return None


def parse_cdr(text: str, *, layout: CdrLayout) -> Iterator[GoodRow | BadRow]:
    """Yield each record of ``text`` in file order, read or rejected (never raises)."""
    if layout.format == "columns":
        yield from _parse_columns(text, layout)
        return
    build = _asterisk if layout.format == "asterisk" else _freeswitch
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            yield _row(number, line, lambda fields: build(fields, layout.timezone))


def _row(number: int, raw: str, build: Callable[[list[str]], CallRecord]) -> GoodRow | BadRow:
    try:
        fields = _split(raw)
        record = build(fields)
    except _RowError as exc:
        return BadRow(number, str(exc), raw, f"cdr:bad:{_digest(raw)}")
    call_id = str(record.get("call_id", ""))[:100] or "-"
    return GoodRow(number, record, f"cdr:{call_id}:{_digest(chr(31).join(fields))[:16]}")


def _split(line: str) -> list[str]:
    try:
        rows = list(csv.reader(io.StringIO(line, newline=""), strict=True))
    except csv.Error as exc:
        raise _RowError(f"bad CSV quoting ({exc})") from exc
    if len(rows) != 1:
        raise _RowError("a quoted field runs past the end of the line")
    return rows[0]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _asterisk(fields: list[str], zone: ZoneInfo) -> CallRecord:
    if len(fields) not in _ASTERISK_WIDTHS:
        raise _RowError(f"an Asterisk row has 18 or 21 fields, this one {len(fields)}")
    disposition = fields[14].strip().upper()
    if disposition not in _ASTERISK_DISPOSITIONS:
        raise _RowError("unknown disposition")
    status = _DISPOSITIONS[disposition]
    _integer(fields[13], "billsec")
    name = _CLID_NAME.match(fields[4])
    return _record(
        call_id=fields[16], caller=fields[1], caller_name=name["name"] if name else "",
        called=fields[2], started_at=_stamp(fields[9], zone, "start"),
        duration=_integer(fields[12], "duration"), status=status, agent=fields[6],
        notes=fields[17], origin={"format": "asterisk", "disposition": disposition},
    )  # fmt: skip


def _freeswitch(fields: list[str], zone: ZoneInfo) -> CallRecord:
    if len(fields) != _FREESWITCH_WIDTH:
        raise _RowError(f"a FreeSWITCH row has {_FREESWITCH_WIDTH} fields, this one {len(fields)}")
    cause = fields[9].strip()
    if not _Q850_NAME.fullmatch(cause):
        raise _RowError("unknown hangup_cause")
    if not fields[10].strip():
        raise _RowError("no uuid")
    billsec = _integer(fields[8], "billsec")
    answered = cause == "NORMAL_CLEARING" and (billsec > 0 or bool(fields[5].strip()))
    status = "completed" if answered else _Q850_STATUS.get(cause, "failed")
    if cause == "NORMAL_CLEARING" and not answered:
        status = "no-answer"
    return _record(
        call_id=fields[10], caller=fields[1], caller_name=fields[0], called=fields[2],
        started_at=_stamp(fields[4], zone, "start_stamp"),
        duration=_integer(fields[7], "duration"), status=status, agent=fields[11], notes="",
        origin={"format": "freeswitch", "hangup_cause": cause},
    )  # fmt: skip


def _parse_columns(text: str, layout: CdrLayout) -> Iterator[GoodRow | BadRow]:
    lines = text.splitlines()
    header_at = next((i for i, line in enumerate(lines) if line.strip()), None)
    if header_at is None:
        return
    try:
        header = [name.strip() for name in _split(lines[header_at])]
    except _RowError as exc:
        yield BadRow(header_at + 1, f"header: {exc}", lines[header_at], "")
        return
    wanted = dict(layout.columns)
    absent = sorted(f for f, name in wanted.items() if name not in header)
    if absent:
        reason = f"header: no column for {', '.join(absent)}"
        yield BadRow(header_at + 1, reason, lines[header_at], "")
        return
    index = {field: header.index(name) for field, name in wanted.items()}
    for number in range(header_at + 2, len(lines) + 1):
        if lines[number - 1].strip():
            build = _by_columns(index, len(header), layout.timezone)
            yield _row(number, lines[number - 1], build)


def _by_columns(
    index: Mapping[str, int], width: int, zone: ZoneInfo
) -> Callable[[list[str]], CallRecord]:
    def build(fields: list[str]) -> CallRecord:
        if len(fields) != width:
            raise _RowError(f"the header has {width} fields, this row {len(fields)}")
        value = {field: fields[i].strip() for field, i in index.items()}
        status = "completed"
        if "status" in value:
            found = _DISPOSITIONS.get(value["status"].upper())
            if found is None:
                raise _RowError("unknown status")
            status = found
        duration = _integer(value["duration"], "duration") if value.get("duration") else 0
        return _record(
            call_id=value.get("call_id", ""), caller=value["caller"],
            caller_name=value.get("caller_name", ""), called=value.get("called", ""),
            started_at=_stamp(value["started_at"], zone, "started_at"), duration=duration,
            status=status, agent=value.get("agent"), notes=value.get("notes", ""),
            origin={"format": "columns"},
        )  # fmt: skip

    return build


def _record(*, agent: str | None, **values: Any) -> CallRecord:
    record: CallRecord = {k: v.strip() if isinstance(v, str) else v for k, v in values.items()}
    if agent is not None:
        record["agent"] = agent.strip()
    return record


def _integer(text: str, name: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise _RowError(f"{name} is not a whole number of seconds") from None
    if value < 0:
        raise _RowError(f"{name} is negative")
    return value


def _stamp(text: str, zone: ZoneInfo, name: str) -> str:
    for pattern in _STAMP_FORMATS:
        try:
            value = datetime.strptime(text.strip(), pattern)  # noqa: DTZ007 (zone set below)
        except ValueError:
            continue
        return value.replace(tzinfo=zone).isoformat()
    raise _RowError(f"{name} is not a date and time YYYY-MM-DD HH:MM:SS")
