"""One outbox dispatcher process for the concurrency and kill tests:

    python -m tests.service.dispatch_proc DB_URL SMTP_PORT GO_FILE [--die-after-send]

Waits for GO_FILE (probed), then runs :func:`plaint.service.outbox.dispatch_due` with the
real SMTP sender against the test server on loopback and prints one JSON line of what it
did. With ``--die-after-send`` the process SIGKILLs itself right after the SMTP server has
accepted the first message and before the dispatcher can commit the result: the crash the
exactly-once design must survive.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from plaint.channels.email.smtp import SmtpSender
from plaint.channels.outbound import Outgoing, SendResult
from plaint.models import create_db_engine, session_factory
from plaint.service.outbox import dispatch_due

GO_WAIT_SECONDS = 60


class DyingSender:
    """The real SMTP sender, killed (-9) between the server's 250 and the commit."""

    channel = "email"

    def __init__(self, inner: SmtpSender) -> None:
        self.inner = inner

    def send(self, message: Outgoing) -> SendResult:
        self.inner.send(message)
        os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("unreachable")

    def find_sent(self, message: Outgoing) -> SendResult | None:
        return self.inner.find_sent(message)


def main(db_url: str, smtp_port: str, go_file: str, die: bool) -> None:
    environ = {"PLAINT_SMTP_HOST": "127.0.0.1", "PLAINT_SMTP_PORT": smtp_port,
               "PLAINT_SMTP_TLS": "none", "PLAINT_SMTP_FROM": "service@plaint.example",
               "PLAINT_SECRET_KEY": "test-secret-key"}  # fmt: skip
    sender = SmtpSender.from_environ(environ)
    assert sender is not None
    engine = create_db_engine(db_url)
    deadline = time.monotonic() + GO_WAIT_SECONDS
    while not Path(go_file).exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    result = dispatch_due(
        session_factory(engine), senders={"email": DyingSender(sender) if die else sender},
        zone=UTC, clock=lambda: datetime.now(UTC), batch=5,
    )  # fmt: skip
    sender.close()
    engine.dispose()
    print(json.dumps(asdict(result)), flush=True)


if __name__ == "__main__":
    db, port, go, *flags = sys.argv[1:]
    main(db, port, go, "--die-after-send" in flags)
