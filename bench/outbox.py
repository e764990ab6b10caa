"""Benchmark: the outbox dispatcher's sends per second, by email against a local SMTP
server and by SMS against the Twilio stand-in, each against a raw send loop on the same
server in the same run.

    python bench/outbox.py                      # 500 notifications a channel, SQLite
    python bench/outbox.py -n 2000 --db-url postgresql://user@host/db

The SMTP server is aiosmtpd in this process on loopback (the test extra), accepting and
discarding. The raw loop builds and sends N mails of the same shape (text + HTML) over one
kept connection (the floor of what SMTP and the email package cost); the dispatcher claims,
renders, sends (one kept connection too) and records each notification in its own
transaction. The Twilio stand-in (plaint.demo.twilio_standin) runs as a subprocess on
loopback; the raw loop creates N messages with the same ``twilio``
client the sender uses (same parameters, StatusCallback included), the dispatcher sends N
SMS notifications through the registered SMS sender. The stand-in rewrites its JSON state
file on every message, so it, not plaint, bounds both SMS rates: compare the ratio.
Prints the rates and ratios.
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

from plaint.channels import open_senders
from plaint.channels.email.smtp import SmtpSender
from plaint.channels.twilio.client import make_client
from plaint.demo.twilio_standin import TwilioStandIn
from plaint.models import Notification, Resident, create_db_engine, session_factory
from plaint.models.migrate import upgrade
from plaint.service.outbox import dispatch_due

FROM = "+8610690000"
PUBLIC = "https://plaint.example.com"
SMS_BODY = "您好，您反映的问题已在处理中，编号 TS-2026-000001，无需重复反映。"


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


def _smtp_environ(port: int) -> dict[str, str]:
    return {"PLAINT_SMTP_HOST": "127.0.0.1", "PLAINT_SMTP_PORT": str(port),
            "PLAINT_SMTP_TLS": "none", "PLAINT_SMTP_FROM": "service@plaint.example",
            "PLAINT_SECRET_KEY": "bench"}  # fmt: skip


def dispatcher(url: str, environ: dict[str, str], n: int, *, channel: str) -> float:
    """Dispatch ``n`` pending notifications to residents reachable only on ``channel``
    ("email" or "sms") through the sender ``environ`` configures; sends/s."""
    engine = create_db_engine(url)
    upgrade(engine)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    with sessions.begin() as session:
        residents = [
            Resident(email=f"r{i}@example.com", created_at=now) if channel == "email"
            else Resident(phone=f"+8613800{i:06d}", created_at=now)
            for i in range(n)
        ]  # fmt: skip
        session.add_all(residents)
        session.flush()
        session.add_all(
            Notification(key=f"bench-{channel}:{i}", recipient_kind="resident",
                         recipient=str(r.id), template="already_tracked",
                         data={"ticket": f"TS-2026-{i:06d}"}, not_before=now, created_at=now)
            for i, r in enumerate(residents)
        )  # fmt: skip
    senders = open_senders(environ)
    start = time.perf_counter()
    result = dispatch_due(sessions, senders=senders, zone=UTC, clock=lambda: datetime.now(UTC))
    seconds = time.perf_counter() - start
    for sender in senders.values():
        if isinstance(sender, SmtpSender):
            sender.close()
    engine.dispose()
    assert result.sent == n, result
    return n / seconds


def sms_raw_loop(standin: TwilioStandIn, n: int) -> float:
    """Create ``n`` messages with the ``twilio`` client; sends/s."""
    client = make_client(standin.settings(public_url=PUBLIC))
    callback = f"{PUBLIC}/webhooks/twilio/status?key=raw"
    start = time.perf_counter()
    for i in range(n):
        client.messages.create(to=f"+8613900{i:06d}", from_=FROM, body=SMS_BODY,
                               status_callback=callback)  # fmt: skip
    return n / (time.perf_counter() - start)


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
            dispatched = dispatcher(url, _smtp_environ(controller.port), args.n, channel="email")
            with TwilioStandIn(state=Path(tmp) / "twilio.json", sender=FROM) as standin:
                sms_raw = sms_raw_loop(standin, args.n)
                standin.control("reset")  # the same (empty) stand-in state for both runs
                environ = standin.environ(public_url=PUBLIC)
                sms_dispatched = dispatcher(url, environ, args.n, channel="sms")
    finally:
        controller.stop()
    print(f"n = {args.n}, database {url.split(':', 1)[0]}, SMTP server: aiosmtpd on loopback,"
          " SMS: the Twilio stand-in on loopback")  # fmt: skip
    print(f"raw smtplib loop:         {raw:8.0f} sends/s")
    print(f"outbox dispatcher (mail): {dispatched:8.0f} sends/s")
    print(f"ratio dispatcher / raw:   {dispatched / raw:8.2f}")
    print(f"raw twilio client loop:   {sms_raw:8.0f} sends/s")
    print(f"outbox dispatcher (SMS):  {sms_dispatched:8.0f} sends/s")
    print(f"ratio dispatcher / raw:   {sms_dispatched / sms_raw:8.2f}")
    assert sink.count == 2 * args.n


if __name__ == "__main__":
    main()
