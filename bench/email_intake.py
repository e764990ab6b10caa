"""Benchmark: email intake rate (mail on the IMAP server → inbox row → triaged) against a
raw imapclient FETCH loop on the same server, in the same run.

    python bench/email_intake.py                 # N=2000, SQLite in a temporary directory
    python bench/email_intake.py -n 200          # a smoke run
    python bench/email_intake.py --db-url postgresql://user@host/db   # an empty database

It starts a throwaway Dovecot (tests/servers.py), appends ``-n`` varied complaint mails
(Chinese and English, GB2312/GBK, UTF-8 and Big5, some HTML-only, some with an attachment)
to one folder, then times, each from a fresh connection:

(raw)    imapclient: SELECT, UID SEARCH, UID FETCH BODY.PEEK[] + INTERNALDATE in batches of
         ``--batch``: the floor cost of reading the mail;
(intake) plaint's ImapChannel + ``poll_until_drained`` with batches of ``--batch``: every
         mail fetched, stored as an inbox row (one transaction each) and acked (cursor);
(triage) ``triage_inbox`` of every stored row, one transaction each, in this process:
         parse, charsets, loops, thread, dedupe, classify, route, clocks, attachments.

Printed: mails per second of each, the ratio intake/raw (target ≥ 0.7) and the ratio of
intake + triage (mail on the server → triaged ticket) to raw.
"""

from __future__ import annotations

import argparse
import base64
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.header import Header
from pathlib import Path

from imapclient import IMAPClient

from plaint.channels.email.imap import ImapChannel
from plaint.config import load_config
from plaint.models import create_db_engine, session_factory
from plaint.models.migrate import upgrade
from plaint.service.blobs import DiskBlobStore
from plaint.service.directory import sync_directory
from plaint.service.intake import poll_until_drained
from plaint.service.mailtriage import EmailIntake
from plaint.service.store import DbCursorStore
from plaint.service.triage import triage_inbox
from tests.servers import DovecotServer, service_dir

USER, PASSWORD, FOLDER = "bench", "bench-password", "INBOX"
TEXTS = (
    "3号楼2单元电梯停在12楼困人了，请马上派人！",
    "5栋1101卫生间天花板漏水，楼上一直在滴",
    "物业费上涨没有公示，要求说明收费标准",
    "小区门口的路灯坏了好几天，晚上很黑",
    "The lift in building 7 has been out of order since Monday.",
    "垃圾站三天没人清运，气味很大",
)
CHARSETS = ("utf-8", "gb2312", "gbk", "big5")


def _mail(n: int) -> bytes:
    text = TEXTS[n % len(TEXTS)] + f"（第{n}封）"
    charset = CHARSETS[n % len(CHARSETS)]
    if charset == "big5":
        text = text.replace("栋", "棟").replace("门", "門")
    try:
        body = text.encode(charset)
    except UnicodeEncodeError:
        charset, body = "utf-8", text.encode()
    subject = Header(text[:12], charset).encode()
    head = (f"From: resident{n % 300}@example.com\r\nTo: desk@property.example\r\n"
            f"Subject: {subject}\r\nMessage-ID: <bench{n}@example.com>\r\n"
            "MIME-Version: 1.0\r\n")  # fmt: skip
    if n % 10 == 0:  # with a photo
        photo = base64.encodebytes(bytes([n % 256]) * 3000)
        return (head + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
                f"Content-Type: text/plain; charset={charset}\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n").encode() + base64.encodebytes(
            body) + (b"--b\r\nContent-Type: image/jpeg\r\nContent-Transfer-Encoding: base64\r\n"
                     b'Content-Disposition: attachment; filename="p.jpg"\r\n\r\n'
                     + photo + b"--b--\r\n")  # fmt: skip
    ctype = "text/html" if n % 7 == 0 else "text/plain"
    if ctype == "text/html":
        body = b"<html><body><p>" + body + b"</p></body></html>"
    head += f"Content-Type: {ctype}; charset={charset}\r\nContent-Transfer-Encoding: base64\r\n"
    return (head + "\r\n").encode() + base64.encodebytes(body)


def _fill(port: int, n: int) -> None:
    client = IMAPClient("127.0.0.1", port=port, ssl=False)
    client.login(USER, PASSWORD)
    start = datetime(2026, 11, 2, tzinfo=UTC)
    for i in range(n):
        client.append(FOLDER, _mail(i), msg_time=start + timedelta(seconds=i))
    client.logout()


def _raw(port: int, batch: int) -> int:
    client = IMAPClient("127.0.0.1", port=port, ssl=False)
    client.login(USER, PASSWORD)
    client.select_folder(FOLDER, readonly=True)
    uids = sorted(client.search(["UID", "1:*"]))
    read = 0
    for i in range(0, len(uids), batch):
        fetched = client.fetch(uids[i : i + batch], ["BODY.PEEK[]", "INTERNALDATE"])
        read += sum(1 for data in fetched.values() if data.get(b"BODY[]"))
    client.logout()
    return read


def _timed(label: str, n: int, work: object) -> float:
    started = time.perf_counter()
    done = work() if callable(work) else 0
    seconds = time.perf_counter() - started
    print(f"{label:<8} {done:>6} mails in {seconds:7.2f} s = {done / seconds:8.1f} mails/s")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--db-url", help="an empty database (default: SQLite in a temp dir)")
    args = parser.parse_args()
    with service_dir("bench-dovecot") as directory, tempfile.TemporaryDirectory() as tmp:
        server = DovecotServer(directory)
        server.start()
        server.add_user(USER, PASSWORD)
        try:
            _fill(server.port, args.n)
            engine = create_db_engine(args.db_url or f"sqlite:///{tmp}/bench.db")
            upgrade(engine)
            sessions = session_factory(engine)
            config = load_config(None)
            now = datetime(2026, 11, 2, 12, tzinfo=UTC)
            with sessions.begin() as session:
                sync_directory(session, config, now=now)
            raw_s = _timed("raw", args.n, lambda: _raw(server.port, args.batch))
            ids: list[int] = []
            channel = ImapChannel(source="bench", host="127.0.0.1", port=server.port,
                                  username=USER, password=PASSWORD,
                                  cursors=DbCursorStore(sessions, clock=lambda: now),
                                  folder=FOLDER, tls=False)  # fmt: skip

            def intake() -> int:
                result = poll_until_drained(channel, sessions=sessions, enqueue=ids.append,
                                            clock=lambda: now, limit=args.batch,
                                            max_batches=args.n)  # fmt: skip
                channel.close()
                return result.new

            intake_s = _timed("intake", args.n, intake)
            email = EmailIntake(secret="bench", blobs=DiskBlobStore(Path(tmp) / "blobs"))

            def triage() -> int:
                for inbox_id in ids:
                    with sessions.begin() as session:
                        triage_inbox(session, inbox_id, config=config, now=now, email=email)
                return len(ids)

            triage_s = _timed("triage", args.n, triage)
            engine.dispose()
        finally:
            server.stop()
    print(f"ratio intake/raw           {raw_s / intake_s:.2f}  (target >= 0.7)")
    print(f"ratio (intake+triage)/raw  {raw_s / (intake_s + triage_s):.2f}")


if __name__ == "__main__":
    main()
