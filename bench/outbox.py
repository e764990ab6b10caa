"""Benchmark: the outbox dispatcher's sends per second against a local SMTP server,
against a raw smtplib loop on the same server in the same run.

    python bench/outbox.py                      # 500 notifications, SQLite
    python bench/outbox.py -n 2000 --db-url postgresql://user@host/db

The SMTP server is aiosmtpd in this process on loopback (the test extra), accepting and
discarding. The raw loop builds and sends N mails of the same shape (text + HTML) over one
kept connection (the floor of what SMTP and the email package cost); the dispatcher claims,
renders, sends (one kept connection too) and records each notification in its own
transaction. Prints both rates and their ratio.
"""

from __future__ import annotations

import argparse
import smtplib
import socket
import tempfile
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from plaint.channels.email.smtp import SmtpSender
from plaint.models import Notification, Resident, create_db_engine, session_factory
from plaint.models.migrate import upgrade
from plaint.service.outbox import dispatch_due


class Discard:
    """Accepts every message and counts it."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.count += 1
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def raw_loop(port: int, n: int) -> float:
    """Build and send ``n`` mails (text + HTML alternative, like the sender's) over one
    smtplib connection; sends/s."""
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for i in range(n):
            mail = EmailMessage()
            mail["From"], mail["To"] = "service@plaint.example", f"r{i}@example.com"
            mail["Subject"] = f"[TS-2026-{i:06d}] 问题已在处理中"
            mail["Message-ID"] = f"<raw{i}@plaint.example>"
            mail.set_content("您好，您反映的问题已在处理中，无需重复反映。")
            mail.add_alternative("<p>您好，您反映的问题已在处理中，无需重复反映。</p>",
                                 subtype="html")  # fmt: skip
            smtp.send_message(mail)
    return n / (time.perf_counter() - start)


def dispatcher(url: str, port: int, n: int) -> float:
    """Dispatch ``n`` pending notifications through the SMTP sender; sends/s."""
    engine = create_db_engine(url)
    upgrade(engine)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    with sessions.begin() as session:
        residents = [Resident(email=f"r{i}@example.com", created_at=now) for i in range(n)]
        session.add_all(residents)
        session.flush()
        session.add_all(
            Notification(key=f"bench:{i}", recipient_kind="resident", recipient=str(r.id),
                         template="already_tracked", data={"ticket": f"TS-2026-{i:06d}"},
                         not_before=now, created_at=now)
            for i, r in enumerate(residents)
        )  # fmt: skip
    sender = SmtpSender.from_environ({
        "PLAINT_SMTP_HOST": "127.0.0.1", "PLAINT_SMTP_PORT": str(port), "PLAINT_SMTP_TLS": "none",
        "PLAINT_SMTP_FROM": "service@plaint.example", "PLAINT_SECRET_KEY": "bench",
    })  # fmt: skip
    assert sender is not None
    start = time.perf_counter()
    result = dispatch_due(sessions, senders={"email": sender}, zone=UTC,
                          clock=lambda: datetime.now(UTC))  # fmt: skip
    seconds = time.perf_counter() - start
    sender.close()
    engine.dispose()
    assert result.sent == n, result
    return n / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=500, help="notifications (default 500)")
    parser.add_argument("--db-url", help="a database to use (default: a throwaway SQLite)")
    args = parser.parse_args()
    sink = Discard()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            url = args.db_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
            raw = raw_loop(controller.port, args.n)
            dispatched = dispatcher(url, controller.port, args.n)
    finally:
        controller.stop()
    print(f"n = {args.n}, database {url.split(':', 1)[0]}, SMTP server: aiosmtpd on loopback")
    print(f"raw smtplib loop:   {raw:8.0f} sends/s")
    print(f"outbox dispatcher:  {dispatched:8.0f} sends/s")
    print(f"ratio dispatcher / raw: {dispatched / raw:.2f}")
    assert sink.count == 2 * args.n


if __name__ == "__main__":
    main()
