"""The metrics counted where the work happens, in the worker processes.

prometheus-client keeps them per process; ``plaint worker`` runs several processes, so when
it serves metrics (``PLAINT_METRICS_ADDR``) it switches prometheus-client to its
multiprocess mode before any process starts (:mod:`plaint.telemetry.exporter`). Counters
start at zero with each process, as Prometheus expects (``rate()`` and ``increase()``
absorb restarts).

- ``plaint_triage_latency_seconds``: from an item's arrival in the inbox to its ticket (or
  its message on a ticket) being written.
- ``plaint_sla_warnings_total``, ``plaint_sla_breaches_total``,
  ``plaint_sla_escalations_total`` by ``clock``: SLA marks committed by this process,
  whoever wrote them (:func:`count_sla_marks` watches the sessions, not the sweep).
- ``plaint_outbox_sent_total`` and ``plaint_outbox_failed_total`` by ``channel``:
  notifications the dispatcher sent, or gave up on (:func:`outbox_result`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prometheus_client import Counter, Histogram
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from plaint.models import Inbox, NotificationStatus, SlaMark

__all__ = [
    "OUTBOX_FAILED",
    "OUTBOX_SENT",
    "SLA_MARKS",
    "TRIAGE_LATENCY",
    "count_sla_marks",
    "observe_triage",
    "outbox_result",
]

# Seconds; a triage takes milliseconds, a backlog or a retry chain minutes.
_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)

TRIAGE_LATENCY = Histogram(
    "plaint_triage_latency_seconds",
    "Seconds from an item's arrival in the inbox to its ticket or message being written.",
    buckets=_LATENCY_BUCKETS,
)
# SLA marks by kind: the mark's prefix (``warn:50``, ``breach``, ``escalate:2``) → counter.
SLA_MARKS = {
    "warn": Counter("plaint_sla_warnings_total", "SLA warnings fired.", ["clock"]),
    "breach": Counter("plaint_sla_breaches_total", "SLA deadlines breached.", ["clock"]),
    "escalate": Counter("plaint_sla_escalations_total", "Escalation steps fired.", ["clock"]),
}
OUTBOX_SENT = Counter("plaint_outbox_sent_total", "Notifications sent.", ["channel"])
OUTBOX_FAILED = Counter(
    "plaint_outbox_failed_total", "Notifications given up on (failed for good).", ["channel"]
)

_PENDING_MARKS = "plaint_sla_marks"


def observe_triage(session: Session, inbox_id: int, *, now: datetime) -> None:
    """Record the triage latency of inbox row ``inbox_id`` (just triaged in ``session``,
    so usually read from the session without a query)."""
    row = session.get(Inbox, inbox_id)
    if row is not None:
        TRIAGE_LATENCY.observe(max(0.0, (now - row.created_at).total_seconds()))


def outbox_result(channel: str, status: NotificationStatus) -> None:
    """Count one recorded dispatch of a notification on ``channel`` that ended ``status``
    (sent, or failed for good; a retry is not counted)."""
    if status is NotificationStatus.SENT:
        OUTBOX_SENT.labels(channel=channel).inc()
    elif status is NotificationStatus.FAILED:
        OUTBOX_FAILED.labels(channel=channel).inc()


def count_sla_marks(sessions: sessionmaker[Session]) -> None:
    """Count the SLA marks that sessions of ``sessions`` commit: new rows seen at each flush
    are held until the commit (a rolled-back mark, e.g. lost to a concurrent sweep, is not
    counted)."""
    event.listen(sessions, "after_flush", _hold_marks)
    event.listen(sessions, "after_commit", _count_marks)
    event.listen(sessions, "after_rollback", _drop_marks)


def _hold_marks(session: Session, _context: Any) -> None:
    marks = [(m.clock, m.mark) for m in session.new if isinstance(m, SlaMark)]
    if marks:
        session.info.setdefault(_PENDING_MARKS, []).extend(marks)


def _count_marks(session: Session) -> None:
    for clock, mark in session.info.pop(_PENDING_MARKS, ()):
        counter = SLA_MARKS.get(mark.partition(":")[0])
        if counter is not None:
            counter.labels(clock=clock).inc()


def _drop_marks(session: Session) -> None:
    session.info.pop(_PENDING_MARKS, None)
