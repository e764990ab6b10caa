"""Taking mail in from files, and the inbox's operator views and replay, on SQLite and
PostgreSQL."""

from __future__ import annotations

import base64
import mailbox
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from plaint.channels import parse_payload
from plaint.config import Config
from plaint.errors import NotFoundError, TransientError
from plaint.inbound import ChannelKind
from plaint.models import Inbox, InboxStatus
from plaint.service.fileintake import import_files
from plaint.service.filereaders import scan_paths
from plaint.service.inbox import (
    inbox_detail,
    inbox_payload,
    list_inbox,
    replay,
    replay_quarantined,
)
from plaint.service.store import sync_departments
from plaint.service.triage import triage_inbox

NOW = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
GBK_BODY = "5栋1101卫生间漏水，镕、祐这些字GB2312里没有，楼上水管漏了两天了。"
B64_BODY = "3号楼电梯困人了，快来人！"


def _b(text: str, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


def _q(text: str, charset: str) -> str:
    return f"=?{charset}?Q?{''.join(f'={b:02X}' for b in text.encode(charset))}?="


def gbk_mail() -> bytes:
    """Chinese mail as Chinese clients send it: GBK bytes labelled GB2312, a base64 name
    and a quoted-printable subject."""
    return (
        f"From: {_b('梁祐晟', 'gbk')} <liang@example.cn>\r\n"
        f"Subject: {_q('卫生间漏水', 'gb2312')}\r\n"
        "Message-ID: <zh-gbk-1@example.cn>\r\n"
        "Date: Mon, 02 Nov 2026 21:15:00 +0800\r\n"
        "Content-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode("ascii") + GBK_BODY.encode("gbk")


def b64_mail() -> bytes:
    """Chinese UTF-8 mail with base64 headers and body, LF line endings, and a Received
    header that says when it reached its last server."""
    return (
        f"Received: from mx.example.cn by mail.example.com; Mon, 2 Nov 2026 10:00:07 +0000\n"
        f"From: {_b('王女士', 'utf-8')} <wang@example.cn>\n"
        f"Subject: {_b('电梯困人', 'utf-8')}\n"
        "Message-ID: <zh-b64-1@example.cn>\n"
        "Date: Mon, 02 Nov 2026 17:59:00 +0800\n"
        "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        f"{base64.b64encode(B64_BODY.encode()).decode()}\n"
    ).encode("ascii")


def english_mail(n: int = 1, *, message_id: bool = True, sender: str = "") -> bytes:
    mid = f"Message-ID: <en-{n}@example.com>\n" if message_id else ""
    return (
        f"From: {sender or f'Resident {n} <resident{n}@example.com>'}\n"
        f"Subject: Lift broken again\n{mid}Date: Tue, 03 Nov 2026 08:{n % 60:02d}:00 +0800\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        f"The lift in building {n} has been broken since Monday.\n"
    ).encode()


def write_mail_folder(root: Path) -> Path:
    """A folder as an operator would hand it over: .eml files in Chinese and English, an
    mbox of three, a nested folder, a Maildir-style file without suffix, a text note
    (skipped) and a .eml that is no email (unreadable)."""
    folder = root / "mail"
    (folder / "2025" / "archive").mkdir(parents=True)
    (folder / "zh-gbk.eml").write_bytes(gbk_mail())
    (folder / "zh-b64.eml").write_bytes(b64_mail())
    (folder / "english.EML").write_bytes(english_mail(1))
    (folder / "notes.txt").write_text("物业费明细，请核对。", "utf-8")
    (folder / "broken.eml").write_bytes(b"\x00\x01\x02 not a mail at all \xff")
    (folder / "2025" / "archive" / "old.eml").write_bytes(english_mail(2))
    (folder / "2025" / "1700000000.M1P2.host").write_bytes(
        b"Return-Path: <resident3@example.com>\n" + english_mail(3)
    )
    box = mailbox.mbox(folder / "2025" / "residents.mbox")
    for n in (4, 5, 6):
        box.add(english_mail(n))
    box.flush()
    box.close()
    return folder


NEW_IN_FOLDER = 9  # 3 + 1 nested + 1 Maildir-style + 3 in the mbox; broken/notes are not


def _import(sessions: Any, *paths: Path, **options: Any) -> Any:
    options.setdefault("enqueue", None)
    return import_files(sessions, scan_paths(paths), clock=lambda: NOW, **options)


def _rows(sessions: Any) -> list[Inbox]:
    with sessions() as session:
        return list(session.scalars(select(Inbox).order_by(Inbox.id)))


def test_a_folder_is_imported_once_and_the_rest_is_reported(sessions: Any, tmp_path: Path) -> None:
    folder = write_mail_folder(tmp_path)
    first = _import(sessions, folder)
    assert (first.new, first.already, first.skipped) == (NEW_IN_FOLDER - 1, 0, 1)
    assert first.messages == NEW_IN_FOLDER - 1
    assert [(u.where, u.reason.split(" ")[0]) for u in first.unreadable] == [
        (str(folder / "broken.eml"), "not")
    ]
    rows = _rows(sessions)
    assert {(r.source, r.channel, r.status) for r in rows} == {("import", "email", "pending")}
    assert {r.external_id for r in rows} >= {"<zh-gbk-1@example.cn>", "<en-4@example.com>"}

    again = _import(sessions, folder)
    assert (again.new, again.already, again.skipped, len(again.unreadable)) == (
        0, NEW_IN_FOLDER - 1, 1, 1
    )  # fmt: skip
    assert len(_rows(sessions)) == NEW_IN_FOLDER - 1


def test_chinese_mail_is_stored_so_that_triage_reads_it_as_sent(
    sessions: Any, tmp_path: Path
) -> None:
    folder = write_mail_folder(tmp_path)
    _import(sessions, folder)
    stored = {r.external_id: r for r in _rows(sessions)}
    gbk = stored["<zh-gbk-1@example.cn>"]
    message = parse_payload(ChannelKind.EMAIL, gbk.payload, received_at=gbk.received_at)
    assert (message.sender_name, message.subject) == ("梁祐晟", "卫生间漏水")
    assert GBK_BODY in message.body
    b64 = stored["<zh-b64-1@example.cn>"]
    assert b"\r\n" in b64.payload
    assert b"\n" not in b64.payload.replace(b"\r\n", b"")
    message = parse_payload(ChannelKind.EMAIL, b64.payload, received_at=b64.received_at)
    assert (message.sender, message.subject, message.body.strip()) == (
        "wang@example.cn", "电梯困人", B64_BODY
    )  # fmt: skip


def test_received_at_is_the_delivery_time_else_the_date_else_the_file_time(
    sessions: Any, tmp_path: Path
) -> None:
    folder = write_mail_folder(tmp_path)
    dateless = folder / "dateless.eml"
    dateless.write_bytes(b"From: a@example.com\nMessage-ID: <dateless@x>\n\nhello\n")
    os.utime(dateless, (NOW.timestamp() - 3600, NOW.timestamp() - 3600))
    future = folder / "future.eml"
    future.write_bytes(b"From: a@example.com\nMessage-ID: <future@x>\nDate: Fri, 1 Jan 2100 "
                       b"00:00:00 +0000\n\nhello\n")  # fmt: skip
    _import(sessions, folder)
    received = {r.external_id: r.received_at.astimezone(UTC) for r in _rows(sessions)}
    assert received["<zh-b64-1@example.cn>"] == datetime(2026, 11, 2, 10, 0, 7, tzinfo=UTC)
    assert received["<zh-gbk-1@example.cn>"] == datetime(2026, 11, 2, 13, 15, tzinfo=UTC)
    assert received["<dateless@x>"] == NOW - timedelta(hours=1)
    assert received["<future@x>"] == NOW


def test_the_same_mail_twice_in_one_batch_is_one_row(sessions: Any, tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(english_mail(7))
    (tmp_path / "copy.eml").write_bytes(english_mail(7))
    (tmp_path / "b.eml").write_bytes(english_mail(8, message_id=False))
    (tmp_path / "b-copy.eml").write_bytes(english_mail(8, message_id=False).replace(b"\n", b"\r\n"))
    result = _import(sessions, tmp_path, batch_rows=3)
    assert (result.messages, result.new, result.already) == (4, 2, 2)
    assert sorted(r.external_id[:7] for r in _rows(sessions)) == ["<en-7@e", "sha256:"]


def test_new_rows_are_enqueued_after_commit_and_a_queue_failure_loses_nothing(
    sessions: Any, tmp_path: Path
) -> None:
    folder = write_mail_folder(tmp_path)
    seen: list[tuple[int, str]] = []

    def enqueue(inbox_id: int) -> None:
        with sessions() as session:  # another connection: the row must be committed
            status = session.scalar(select(Inbox.status).where(Inbox.id == inbox_id))
        seen.append((inbox_id, status))
        if len(seen) == 3:
            raise TransientError("Redis unavailable (ConnectionError)")

    result = _import(sessions, folder, enqueue=enqueue, batch_rows=2)
    assert [status for _, status in seen] == ["pending"] * 3
    assert (result.queue.enqueued, result.queue.waiting) == (2, NEW_IN_FOLDER - 1 - 2)
    assert result.queue.error == "Redis unavailable (ConnectionError)"
    assert {r.status for r in _rows(sessions)} == {"pending"}

    unconfigured = _import(sessions, tmp_path / "none")
    assert not unconfigured.queue.configured
    assert [u.reason for u in unconfigured.unreadable] == ["no such file or folder"]


def _triaged(sessions: Any, config: Config, *mails: bytes, folder: Path) -> list[int]:
    """Import ``mails`` and triage them; return their inbox ids in order."""
    folder.mkdir()
    for n, raw in enumerate(mails):
        (folder / f"{n:02d}.eml").write_bytes(raw)
    _import(sessions, folder)
    ids = [r.id for r in _rows(sessions)][-len(mails) :]
    with sessions.begin() as session:
        sync_departments(session, config.departments)
    for inbox_id in ids:
        with sessions.begin() as session:
            triage_inbox(session, inbox_id, config=config, now=NOW)
    return ids


def test_list_and_detail_show_state_and_ticket_but_no_content(
    sessions: Any, make_config: Callable[..., Config], tmp_path: Path
) -> None:
    config = make_config()
    done, bad = _triaged(sessions, config, gbk_mail(), english_mail(9, sender="undisclosed"),
                         folder=tmp_path / "m")  # fmt: skip
    with sessions() as session:
        page = list_inbox(session, limit=50)
        assert [(r.id, r.status, r.reason) for r in page.rows] == [
            (bad, "quarantined", "no_sender"), (done, "done", None)
        ]  # fmt: skip
        assert page.total == 2
        assert list_inbox(session, status=InboxStatus.QUARANTINED, limit=1).total == 1
        assert list_inbox(session, source="elsewhere", limit=5).rows == ()
        detail = inbox_detail(session, done)
        assert detail.ticket_number is not None
        assert detail.ticket_number.startswith("TS-")
        assert inbox_detail(session, bad).ticket_number is None
        assert inbox_payload(session, done) == gbk_mail()
        with pytest.raises(NotFoundError, match="no inbox row 999"):
            inbox_detail(session, 999)


def test_replay_puts_back_only_quarantined_rows_and_records_it(
    sessions: Any, make_config: Callable[..., Config], tmp_path: Path
) -> None:
    config = make_config()
    done, bad = _triaged(sessions, config, english_mail(10), english_mail(11, sender="nobody"),
                         folder=tmp_path / "m")  # fmt: skip
    with sessions.begin() as session:
        session.get(Inbox, bad).attempts = 3  # type: ignore[union-attr]
    sent: list[int] = []
    result = replay(sessions, [bad, done, 999, bad], enqueue=sent.append, now=NOW)
    assert result.replayed == (bad,)
    assert sent == [bad]
    assert [(r.inbox_id, r.reason.split(":")[0]) for r in result.refused] == [
        (done, "it is done"), (999, "no such inbox row")
    ]  # fmt: skip
    assert "already in ticket TS-" in result.refused[0].reason
    row = {r.id: r for r in _rows(sessions)}[bad]
    assert (row.status, row.attempts, row.processed_at) == ("pending", 0, None)
    assert row.error == "replayed 2026-11-03 09:00Z (was: no_sender)"
    again = replay(sessions, [bad], enqueue=None, now=NOW)
    assert again.replayed == ()
    assert "pending" in again.refused[0].reason


def test_replay_all_quarantined_walks_every_row_once_in_batches(
    sessions: Any, make_config: Callable[..., Config], tmp_path: Path
) -> None:
    config = make_config()
    mails = [english_mail(20 + n, sender=f"anon{n}") for n in range(5)] + [english_mail(30)]
    ids = _triaged(sessions, config, *mails, folder=tmp_path / "m")

    def requarantine(inbox_id: int) -> None:  # a fast worker: quarantined again at once
        with sessions.begin() as session:
            triage_inbox(session, inbox_id, config=config, now=NOW)

    result = replay_quarantined(sessions, enqueue=requarantine, now=NOW, batch=2)
    assert result.replayed == tuple(ids[:5])
    assert result.queue.enqueued == 5
    statuses = [r.status for r in _rows(sessions)]
    assert statuses == ["quarantined"] * 5 + ["done"]


def test_files_that_are_not_what_their_name_says_are_unreadable(
    sessions: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "odd"
    folder.mkdir()
    (folder / "empty.eml").write_bytes(b"  \n")
    (folder / "letter.mbox").write_text("Dear residents,\nFrom now on...\n", "utf-8")
    (folder / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0")
    result = _import(sessions, folder)
    assert sorted((Path(u.where).name, u.reason) for u in result.unreadable) == [
        ("empty.eml", "empty file"),
        ("letter.mbox", "not an mbox file (no 'From ' separator line first)"),
    ]
    assert (result.new, result.skipped) == (0, 1)
