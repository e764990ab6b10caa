"""One outbox dispatcher process for the concurrency and kill tests:

    python -m tests.service.dispatch_proc DB_URL SINK GO_FILE [--die-after-send]
        [--at=ISO] [--zone=TZ]

SINK is the test SMTP server's port (the real SMTP sender, channel email) or the Twilio
stand-in's URL (the real Twilio sender, channel sms). Waits for GO_FILE (probed), then
runs :func:`plaint.service.outbox.dispatch_due` and prints one JSON line of what it did.
With ``--die-after-send`` the process SIGKILLs itself right after the server has accepted
the first message and before the dispatcher can commit the result: the crash the
exactly-once design must survive. ``--at`` fixes the dispatcher's clock (a test's
ManualClock time), ``--zone`` the local time zone texts are rendered in (default UTC).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

from plaint.channels import open_senders
from plaint.channels.email.smtp import SmtpSender
from plaint.channels.outbound import Outgoing, Sender, SendResult
from plaint.models import create_db_engine, session_factory
from plaint.service.outbox import dispatch_due
from tests.twilio_fixture import ACCOUNT, SENDER, TOKEN

GO_WAIT_SECONDS = 60


class DyingSender:
    """A real sender, killed (-9) between the server's acceptance and the commit."""

    def __init__(self, inner: Sender) -> None:
        self.inner = inner
        self.channel = inner.channel

    def send(self, message: Outgoing) -> SendResult:
        self.inner.send(message)
        os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("unreachable")

    def find_sent(self, message: Outgoing) -> SendResult | None:
        return self.inner.find_sent(message)


def _sender(sink: str) -> Sender:
    if sink.startswith("http"):
        environ = {"PLAINT_TWILIO_ACCOUNT_SID": ACCOUNT, "PLAINT_TWILIO_AUTH_TOKEN": TOKEN,
                   "PLAINT_TWILIO_FROM": SENDER, "PLAINT_TWILIO_API_URL": sink,
                   "PLAINT_PUBLIC_URL": "https://plaint.example.com"}  # fmt: skip
    else:
        environ = {"PLAINT_SMTP_HOST": "127.0.0.1", "PLAINT_SMTP_PORT": sink,
                   "PLAINT_SMTP_TLS": "none", "PLAINT_SMTP_FROM": "service@plaint.example",
                   "PLAINT_SECRET_KEY": "test-secret-key"}  # fmt: skip
    [sender] = [s for channel, s in open_senders(environ).items() if channel != "webhook"]
    return sender


def main(
    db_url: str, sink: str, go_file: str, die: bool, at: datetime | None, zone: tzinfo
) -> None:
    sender = _sender(sink)
    engine = create_db_engine(db_url)
    deadline = time.monotonic() + GO_WAIT_SECONDS
    while not Path(go_file).exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    result = dispatch_due(
        session_factory(engine), senders={sender.channel: DyingSender(sender) if die else sender},
        zone=zone, clock=(lambda: at) if at else (lambda: datetime.now(UTC)), batch=5,
    )  # fmt: skip
    if isinstance(sender, SmtpSender):
        sender.close()
    engine.dispose()
    print(json.dumps(asdict(result)), flush=True)


if __name__ == "__main__":
    db, port, go, *flags = sys.argv[1:]
    times = [datetime.fromisoformat(f.partition("=")[2]) for f in flags if f.startswith("--at=")]
    zones = [ZoneInfo(f.partition("=")[2]) for f in flags if f.startswith("--zone=")]
    main(db, port, go, "--die-after-send" in flags, times[0] if times else None,
         zones[0] if zones else UTC)  # fmt: skip
