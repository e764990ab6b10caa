"""Every failure has an end: poison rows are quarantined with a reason, transient failures
retry up to a budget, and the reconciler never lets poison rows hold back good ones."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from plaint.channels.base import Delivery
from plaint.inbound import ChannelKind
from plaint.models import Inbox, InboxStatus, Ticket
from plaint.service.retry import (
    FailureOutcome,
    claim_unqueued,
    failure_reason,
    is_transient,
    record_failure,
)
from plaint.service.store import store_delivery
from tests.plant import Plant
from tests.workers.test_flow import complaint

# A row no code can triage: a channel kind plaint does not know (the email parser itself
# raises nothing but MalformedMessageError, tests/channels/test_email_fuzz.py).
POISON = (
    "From: a <poison@example.com>\r\nSubject: hi\r\nMessage-ID: <p{n}@x>\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n\r\n电梯坏了\r\n"
)


def _store(
    plant: Plant, raws: list[bytes], *, at: datetime, enqueued: bool, poison: bool = False
) -> list[int]:
    ids = []
    with plant.sessions.begin() as session:
        for raw in raws:
            ext = raw.split(b"Message-ID: ")[1].split(b"\r\n")[0].decode()
            delivery = Delivery("mail", ChannelKind.EMAIL, ext, raw, at, "")
            ids.append(store_delivery(session, delivery, now=at).inbox_id)
        if not enqueued:
            session.execute(update(Inbox).where(Inbox.id.in_(ids)).values(enqueued_at=None))
        if poison:
            session.execute(update(Inbox).where(Inbox.id.in_(ids)).values(channel="fax"))
    return ids


def test_a_poison_row_is_quarantined_at_once_with_its_reason(plant: Plant) -> None:
    [inbox_id] = _store(plant, [POISON.format(n=1).encode()], at=plant.clock(), enqueued=True,
                        poison=True)  # fmt: skip
    plant.actors.triage.send(inbox_id)
    plant.drain()
    [row] = plant.inbox()
    assert (row.status, row.attempts, row.error) == ("quarantined", 1, "error:ValueError")
    plant.actors.reconcile_inbox.send()  # a quarantined row is never retried
    plant.drain()
    assert plant.inbox()[0].attempts == 1


@pytest.mark.slow
def test_a_thousand_poison_rows_delay_a_good_row_by_one_reconciler_pass(plant: Plant) -> None:
    old = plant.clock() - timedelta(minutes=10)
    _store(plant, [POISON.format(n=n).encode() for n in range(1000)], at=old, enqueued=False,
           poison=True)  # fmt: skip
    [good] = _store(plant, [complaint(1)], at=old, enqueued=False)
    for _pass in range(2):
        plant.actors.reconcile_inbox.send()
        plant.drain()
    with plant.sessions() as session:
        counts = dict(
            session.execute(select(Inbox.status, func.count()).group_by(Inbox.status)).all()
        )
    assert counts == {"quarantined": 1000, "done": 1}
    assert plant.count(Ticket) == 1
    with plant.sessions() as session:
        assert session.get(Inbox, good).status == InboxStatus.DONE  # type: ignore[union-attr]


def test_transient_failures_retry_until_the_budget_then_quarantine(plant: Plant) -> None:
    [inbox_id] = _store(plant, [complaint(2)], at=plant.clock(), enqueued=True)
    lost = OperationalError("SELECT 1", {}, Exception("server closed the connection"))
    outcomes = []
    for _attempt in range(3):
        with plant.sessions.begin() as session:
            outcomes.append(record_failure(session, inbox_id, lost, now=plant.clock(), budget=3))
    assert outcomes == [FailureOutcome.RETRY, FailureOutcome.RETRY, FailureOutcome.QUARANTINED]
    [row] = plant.inbox()
    assert row.error == "error:Exception after 3 attempts"


def test_claims_are_leased_so_two_passes_never_start_two_chains(plant: Plant) -> None:
    now = plant.clock()
    ids = _store(plant, [complaint(3), complaint(4)], at=now - timedelta(minutes=5),
                 enqueued=False)  # fmt: skip
    grace, lease = timedelta(minutes=1), timedelta(minutes=15)
    with plant.sessions.begin() as session:
        assert claim_unqueued(session, now=now, grace=grace, lease=lease, limit=10) == ids
    with plant.sessions.begin() as session:
        assert claim_unqueued(session, now=now, grace=grace, lease=lease, limit=10) == []
    later = now + lease + timedelta(seconds=1)
    with plant.sessions.begin() as session:
        assert claim_unqueued(session, now=later, grace=grace, lease=lease, limit=1) == ids[:1]


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (OperationalError("x", {}, Exception("database is locked")), True),
        (IntegrityError("x", {}, Exception("Key (phone)=(+8613800138000) already exists")), False),
        (LookupError("unknown encoding"), False),
        (UnicodeDecodeError("gbk", b"\xff", 0, 1, "bad"), False),
        (ValueError("NumMedia"), False),
    ],
)
def test_what_is_worth_retrying(exc: BaseException, transient: bool) -> None:
    assert is_transient(exc) is transient
    assert "+86" not in failure_reason(exc)


def test_reasons_name_the_class_never_the_data() -> None:
    detail = Exception("DETAIL: Key (phone)=(+8613800138000) already exists")
    exc = IntegrityError("INSERT ...", {"phone": "+8613800138000"}, detail)
    assert failure_reason(exc) == "error:Exception"


def test_new_senders_racing_leave_no_personal_data_in_logs(
    plant: Plant, caplog: pytest.LogCaptureFixture
) -> None:
    """Several first messages of new senders triaged at once by the real worker, every
    logger at DEBUG: one resident per sender, and no phone number or text in any record."""
    import json
    import logging

    caplog.set_level(logging.DEBUG)
    phones = [f"+86139{n:08d}" for n in range(5)]
    texts = [f"{n + 1}号楼1单元502门口漏水" for n in range(len(phones))]
    at = plant.clock()
    with plant.sessions.begin() as session:
        ids = [
            store_delivery(session, Delivery("sms", ChannelKind.SMS, f"SM{p}{k}",
                           json.dumps({"From": p, "Body": b, "MessageSid": f"SM{p}{k}"}).encode(),
                           at, ""), now=at).inbox_id
            for p, b in zip(phones, texts, strict=True) for k in range(4)
        ]  # fmt: skip
    for inbox_id in ids:
        plant.actors.triage.send(inbox_id)
    plant.drain()
    assert {row.status for row in plant.inbox()} == {"done"}
    assert plant.count(Ticket) == len(phones)
    for record in caplog.records:
        line = record.getMessage() + (record.exc_text or "")
        if record.exc_info:
            line += logging.Formatter().formatException(record.exc_info)
        assert not any(p in line or p[3:] in line for p in phones), line
        assert "502门口" not in line, line
        assert "单元502" not in line, line
