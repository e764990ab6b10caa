"""Exactly once across dispatcher processes, on SQLite and PostgreSQL, with the real SMTP
sender and a real SMTP server as the sink: concurrent dispatchers send each notification
once, and a dispatcher killed (-9) between the server's acceptance and its commit leaves
a row that is never resent blindly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from plaint.channels.email.smtp import SmtpSender
from plaint.service.outbox import RetryPolicy, dispatch_due
from tests.service.outbox_helpers import add_notifications, rows
from tests.smtp import SmtpServer

REPO = Path(__file__).resolve().parents[2]
PROCESSES = 3
NOTIFICATIONS = 60


def start_dispatcher(db_url: str, sink: str, go: Path, *flags: str) -> subprocess.Popen[str]:
    """A dispatcher process (:mod:`tests.service.dispatch_proc`) sending to ``sink``."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.service.dispatch_proc", db_url, sink, str(go), *flags],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip


def run_dispatchers(db_url: str, sink: str, go: Path) -> list[dict[str, Any]]:
    """Start PROCESSES dispatchers, let them go at once; return what each did."""
    procs = [start_dispatcher(db_url, sink, go) for _ in range(PROCESSES)]
    go.touch()
    results: list[dict[str, Any]] = []
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0
        results.append(json.loads(out))
    return results


def test_concurrent_dispatchers_send_each_notification_exactly_once(
    db_url: str, sessions: sessionmaker[Session], smtp_server: SmtpServer, tmp_path: Path
) -> None:
    add_notifications(sessions, NOTIFICATIONS, now=datetime.now(UTC) - timedelta(seconds=1))
    results = run_dispatchers(db_url, str(smtp_server.port), tmp_path / "go")
    received = Counter(smtp_server.sink.ids())
    assert len(received) == NOTIFICATIONS
    assert set(received.values()) == {1}  # no Message-ID twice
    assert sum(r["sent"] for r in results) == NOTIFICATIONS
    assert {(r.status, r.attempts) for r in rows(sessions)} == {("sent", 1)}
    assert {r.provider_id for r in rows(sessions)} == set(received)


def test_a_dispatcher_killed_after_the_server_accepted_is_not_resent_blindly(
    db_url: str, sessions: sessionmaker[Session], smtp_server: SmtpServer, tmp_path: Path
) -> None:
    """SMTP cannot be asked whether it took a message, so the promise is: no resend while
    the dead dispatcher's lease runs; after it, one resend with the *same* Message-ID (the
    recipient's client and plaint's intake see one message), recorded as a second
    attempt; never a second distinct message."""
    [row_id] = add_notifications(sessions, 1, now=datetime.now(UTC) - timedelta(seconds=1))
    go = tmp_path / "go"
    go.touch()
    proc = start_dispatcher(db_url, str(smtp_server.port), go, "--die-after-send")
    proc.communicate(timeout=60)
    assert proc.returncode == -9
    [first] = smtp_server.sink.ids()
    [row] = rows(sessions)
    assert (row.status, row.attempts, row.provider_id) == ("sending", 1, None)

    sender = SmtpSender.from_environ(smtp_server.environ(PLAINT_SMTP_FROM="service@plaint.example"))
    assert sender is not None
    policy = RetryPolicy()
    now = datetime.now(UTC)
    # Within the lease: the row is the dead dispatcher's; nothing is sent.
    within = dispatch_due(sessions, senders={"email": sender}, zone=UTC, clock=lambda: now)
    assert within.sent == 0
    assert smtp_server.sink.ids() == [first]
    # After the lease: in doubt; SMTP has no record to give, so the same mail goes again.
    later = now + policy.lease + timedelta(seconds=1)
    after = dispatch_due(sessions, senders={"email": sender}, zone=UTC, clock=lambda: later)
    sender.close()
    assert after.sent == 1
    assert smtp_server.sink.ids() == [first, first]
    [row] = rows(sessions)
    assert (row.id, row.status, row.attempts, row.provider_id) == (row_id, "sent", 2, first)
