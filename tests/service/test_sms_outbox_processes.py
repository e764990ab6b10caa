"""Exactly once across dispatcher processes for SMS, on SQLite and PostgreSQL, with the
real Twilio sender and the Twilio stand-in as the sink: concurrent dispatchers text each
notification once (several rounds), and a dispatcher killed (-9) between the stand-in's
acceptance and its commit is looked up after its lease and never texted twice."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from plaint.channels.twilio.sender import TwilioSender
from plaint.service.outbox import RetryPolicy, dispatch_due
from tests.service.outbox_helpers import add_sms_notifications, rows
from tests.service.test_outbox_processes import run_dispatchers, start_dispatcher
from tests.twilio_fixture import StandIn

ROUNDS = 3
PER_ROUND = 20


def test_concurrent_dispatchers_text_each_notification_exactly_once(
    db_url: str, sessions: sessionmaker[Session], standin: StandIn, tmp_path: Path
) -> None:
    for round_ in range(ROUNDS):
        add_sms_notifications(sessions, PER_ROUND, now=datetime.now(UTC) - timedelta(seconds=1),
                              prefix=f"r{round_}")  # fmt: skip
        results = run_dispatchers(db_url, standin.url, tmp_path / f"go{round_}")
        assert sum(r["sent"] for r in results) == PER_ROUND
        sent = Counter(s["to"] for s in standin.sent())
        assert len(sent) == PER_ROUND * (round_ + 1)
        assert set(sent.values()) == {1}  # no number texted twice
    assert {(r.status, r.attempts) for r in rows(sessions)} == {("sent", 1)}
    assert {r.provider_id for r in rows(sessions)} == {s["sid"] for s in standin.sent()}


def test_a_dispatcher_killed_after_twilio_accepted_is_found_not_resent(
    db_url: str, sessions: sessionmaker[Session], standin: StandIn, tmp_path: Path
) -> None:
    [row_id] = add_sms_notifications(sessions, 1, now=datetime.now(UTC) - timedelta(seconds=1))
    go = tmp_path / "go"
    go.touch()
    proc = start_dispatcher(db_url, standin.url, go, "--die-after-send")
    proc.communicate(timeout=60)
    assert proc.returncode == -9
    [first] = standin.sent()
    [row] = rows(sessions)
    assert (row.status, row.attempts, row.provider_id) == ("sending", 1, None)

    sender = TwilioSender(standin.settings())
    now = datetime.now(UTC)
    within = dispatch_due(sessions, senders={"sms": sender}, zone=UTC, clock=lambda: now)
    assert within.sent == 0  # the dead dispatcher's lease still runs
    later = now + RetryPolicy().lease + timedelta(seconds=1)
    after = dispatch_due(sessions, senders={"sms": sender}, zone=UTC, clock=lambda: later)
    assert after.sent == 1
    assert standin.sent() == [first]  # found at Twilio, not texted again
    [row] = rows(sessions)
    assert (row.id, row.status, row.attempts, row.provider_id) == (row_id, "sent", 2, first["sid"])
