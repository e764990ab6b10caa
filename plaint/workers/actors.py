"""The dramatiq actors: thin shells that build nothing and decide nothing, calling the
service layer with this process's :mod:`~plaint.workers.runtime`.

:func:`declare_actors` declares them on a broker given to it; importing this module
configures nothing (the worker entry module :mod:`plaint.workers.entry` does that).
Actors take ids, never objects, and are idempotent: any of them may run twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import dramatiq
import redis

from plaint.channels import open_channel
from plaint.errors import ChannelUnavailableError, TransientError
from plaint.queue.producer import (
    ACTOR_QUEUES,
    DISPATCH_OUTBOX,
    POLL_SOURCE,
    RECONCILE_INBOX,
    SLA_SWEEP,
    TRIAGE,
    WARNING_SWEEP,
)
from plaint.service.intake import poll_until_drained
from plaint.service.mailtriage import email_intake
from plaint.service.outbox import DispatchResult, RetryPolicy, dispatch_due
from plaint.service.retry import FailureOutcome, claim_unqueued, failure_reason, record_failure
from plaint.service.sla import sweep
from plaint.service.store import DbCursorStore
from plaint.service.triage import TriageOutcome, triage_inbox
from plaint.service.warning_sweep import sweep_warnings
from plaint.telemetry.metrics import observe_triage, outbox_result
from plaint.telemetry.state import record_poll
from plaint.workers import runtime
from plaint.workers.cadence import RECONCILE_GRACE
from plaint.workers.locks import held

__all__ = [
    "Actors",
    "declare_actors",
    "kick_outbox",
]

logger = logging.getLogger(__name__)

# A sent triage message is presumed lost (Redis lost its data) after this lease; longer
# than a whole retry chain of the triage actor and than a deep backlog takes to drain.
RECONCILE_LEASE = timedelta(minutes=15)
RECONCILE_BATCH = 1000
# Attempts a triage may take on transient failures before its row is quarantined.
TRIAGE_ATTEMPTS = 6
# Triage kicks the outbox dispatcher at once (besides the clock's OUTBOX_INTERVAL), at most
# once per KICK_DEBOUNCE (a burst of new tickets is one run, not one run each).
KICK_DEBOUNCE = timedelta(seconds=1)
_KICK_KEY = "plaint:outbox:kick"
# Present while Redis keeps its data: see _broker_data_lost.
_EPOCH_KEY = "plaint:reconcile:epoch"


@dataclass(frozen=True)
class Actors:
    """plaint's actors as declared on ``broker``."""

    broker: dramatiq.Broker
    poll_source: dramatiq.Actor[..., None]
    triage: dramatiq.Actor[..., None]
    reconcile_inbox: dramatiq.Actor[..., None]
    sla_sweep: dramatiq.Actor[..., None]
    dispatch_outbox: dramatiq.Actor[..., None]
    warning_sweep: dramatiq.Actor[..., None]


def poll_source(source_name: str) -> None:
    """Poll one configured source once. Held single by a renewed Redis lock: a poll that
    finds it taken returns at once, and a poller that died frees it within seconds. A dead
    server is logged and left to the next clock tick (no retry pile-up: the clock polls
    again on its interval)."""
    rt = runtime.current()
    with held(rt.redis, f"plaint:lock:poll:{source_name}") as mine:
        if not mine:
            return
        cursors = DbCursorStore(rt.sessions, clock=rt.clock)
        try:
            channel = open_channel(
                rt.config.source(source_name), cursors=cursors, environ=rt.environ
            )
            try:
                poll_until_drained(channel, sessions=rt.sessions,
                                   enqueue=rt.producer.triage, clock=rt.clock)  # fmt: skip
                record_poll(rt.redis, source_name, now=rt.clock())
            finally:
                channel.close()
        except ChannelUnavailableError as exc:
            logger.warning("source %s unavailable: %s", source_name, exc)


def triage(inbox_id: int) -> None:
    """Turn inbox row ``inbox_id`` into a ticket or a message; idempotent.

    A failure is counted on the row (:func:`plaint.service.retry.record_failure`): one
    that is not transient quarantines the row at once and the message ends here; a
    transient one is retried by dramatiq with backoff until the row's budget of
    ``TRIAGE_ATTEMPTS`` is used up, then quarantined. If even that bookkeeping fails (the
    database is down), dramatiq retries and, past its own budget, the reconciler resends.
    """
    rt = runtime.current()
    try:
        with rt.sessions.begin() as session:
            triaged = triage_inbox(
                session, inbox_id, config=rt.config, now=rt.clock(), model=rt.model.current(),
                email=email_intake(rt.settings),
            )  # fmt: skip
            if triaged in (TriageOutcome.TICKET, TriageOutcome.APPENDED):
                observe_triage(session, inbox_id, now=rt.clock())
        if triaged in (TriageOutcome.TICKET, TriageOutcome.APPENDED):
            kick_outbox(rt)  # an acknowledgement or notice may wait in the outbox
    except Exception as exc:  # every failure ends in retry or quarantine, never a loop
        with rt.sessions.begin() as session:
            outcome = record_failure(session, inbox_id, exc, now=rt.clock(), budget=TRIAGE_ATTEMPTS)
        if outcome is FailureOutcome.RETRY:
            # The reason only: the original's text may quote residents' data.
            raise TransientError(failure_reason(exc)) from None


def reconcile_inbox() -> None:
    """Re-enqueue pending inbox rows whose triage message was never sent (after the grace
    period) or was sent longer than the lease ago: the inbox, not Redis, is the record, so
    a lost triage message (Redis lost its data) loses no complaint. Each row is claimed
    for one message per lease, oldest first, so no row runs two retry chains and rows
    quarantined on failure never hold back the newer ones."""
    rt = runtime.current()
    # Redis that lost its data (restarted empty, flushed) lost every triage message sent
    # before: those rows are presumed lost at once, not after the lease. Rows sent since
    # get a second message, which triage's idempotence makes harmless.
    lease = timedelta(0) if _broker_data_lost(rt) else RECONCILE_LEASE
    with rt.sessions.begin() as session:
        ids = claim_unqueued(
            session, now=rt.clock(), grace=RECONCILE_GRACE, lease=lease, limit=RECONCILE_BATCH
        )
    for inbox_id in ids:
        rt.producer.triage(inbox_id)
    if ids:
        logger.info("reconciler re-enqueued %d pending inbox rows", len(ids))


def _broker_data_lost(rt: runtime.Runtime) -> bool:
    """Return whether Redis lost its data since the last reconciler run: its marker key
    (set here, never expiring) is gone. True on the first run of an installation, when
    claiming every pending row once is harmless."""
    return bool(rt.redis.set(_EPOCH_KEY, 1, nx=True))


def sla_sweep() -> None:
    """Fire the SLA warnings, breaches and escalation steps whose time has come. Held
    single by a renewed Redis lock; a sweep that finds it taken returns at once (the clock
    runs another on its next interval)."""
    rt = runtime.current()
    with held(rt.redis, "plaint:lock:sla-sweep") as mine:
        if mine:
            sweep(rt.sessions, config=rt.config, now=rt.clock())


def warning_sweep() -> None:
    """Find the early-warning spikes and announce the new ones
    (:func:`plaint.service.warning_sweep.sweep_warnings`, safe to overlap: the lock only
    saves a second run's work)."""
    rt = runtime.current()
    with held(rt.redis, "plaint:lock:warning-sweep") as mine:
        if mine:
            sweep_warnings(rt.sessions, config=rt.config, now=rt.clock())


def kick_outbox(rt: runtime.Runtime) -> None:
    """Enqueue a dispatcher run now, unless one was enqueued within KICK_DEBOUNCE; a Redis
    failure is logged only (the clock runs the dispatcher every OUTBOX_INTERVAL)."""
    try:
        if rt.redis.set(_KICK_KEY, 1, nx=True, px=int(KICK_DEBOUNCE.total_seconds() * 1000)):
            rt.producer.dispatch_outbox()
    except redis.RedisError as exc:
        logger.warning("could not kick the outbox dispatcher: %s", type(exc).__name__)


def dispatch_outbox() -> None:
    """Send the due outbox rows (:func:`plaint.service.outbox.dispatch_due`). Runs may
    overlap: each claims its rows with SKIP LOCKED, so no row is sent twice. Not retried
    by dramatiq: the rows keep their own retry state and the clock runs it again."""
    rt = runtime.current()
    result = dispatch_due(rt.sessions, senders=rt.senders, zone=rt.config.timezone,
                          clock=rt.clock, messages=rt.config.messages, observe=outbox_result,
                          policy=RetryPolicy(lease=rt.settings.outbox_lease))  # fmt: skip
    if result != DispatchResult():
        logger.info("outbox: %d sent, %d to retry, %d failed, %d held", result.sent,
                    result.retrying, result.failed, result.held)  # fmt: skip


# Polls are not retried (the clock polls again on its interval), nor are maintenance jobs.
_NO_RETRIES = {POLL_SOURCE: 0, RECONCILE_INBOX: 0, SLA_SWEEP: 0, DISPATCH_OUTBOX: 0,
               WARNING_SWEEP: 0}  # fmt: skip
_FUNCTIONS: dict[str, Callable[..., None]] = {
    POLL_SOURCE: poll_source,
    TRIAGE: triage,
    RECONCILE_INBOX: reconcile_inbox,
    SLA_SWEEP: sla_sweep,
    DISPATCH_OUTBOX: dispatch_outbox,
    WARNING_SWEEP: warning_sweep,
}


def declare_actors(broker: dramatiq.Broker) -> Actors:
    """Declare plaint's actors on ``broker`` (named as :mod:`plaint.queue.producer`
    expects) and return them."""
    declared: dict[str, Any] = {}
    for name, fn in _FUNCTIONS.items():
        options: dict[str, Any] = {}
        if name in _NO_RETRIES:
            options["max_retries"] = _NO_RETRIES[name]
        declared[name] = dramatiq.actor(
            actor_name=name, queue_name=ACTOR_QUEUES[name], broker=broker, **options
        )(fn)
    return Actors(broker=broker, **declared)
