"""Send messages to plaint's actors by name, without importing them.

The names and queues here are the contract between producers (the clock, the web app's
webhooks, the CLI) and the actors that :func:`plaint.workers.actors.declare_actors`
declares; a test checks that both sides agree.
"""

from __future__ import annotations

from typing import Any

import dramatiq

__all__ = [
    "ACTOR_QUEUES",
    "DISPATCH_OUTBOX",
    "POLL_SOURCE",
    "RECONCILE_INBOX",
    "SLA_SWEEP",
    "TRIAGE",
    "WARNING_SWEEP",
    "Producer",
]

POLL_SOURCE = "poll_source"
TRIAGE = "triage"
RECONCILE_INBOX = "reconcile_inbox"
SLA_SWEEP = "sla_sweep"
DISPATCH_OUTBOX = "dispatch_outbox"
WARNING_SWEEP = "warning_sweep"

# Which queue each actor consumes: one queue per stage, so a bulk job never starves intake.
ACTOR_QUEUES = {
    POLL_SOURCE: "intake",
    TRIAGE: "triage",
    RECONCILE_INBOX: "maintenance",
    SLA_SWEEP: "maintenance",
    WARNING_SWEEP: "maintenance",
    # Its own queue: a slow provider never holds up triage, nor a triage backlog the mail.
    DISPATCH_OUTBOX: "outbox",
}


class Producer:
    """Enqueues messages for plaint's actors on ``broker``.

    :meth:`send` raises whatever the broker raises when Redis is unreachable (a
    ``redis.RedisError``); callers that persisted their item first may ignore it, since
    the inbox reconciler re-enqueues what was never triaged.
    """

    def __init__(self, broker: dramatiq.Broker) -> None:
        self._broker = broker

    @property
    def broker(self) -> dramatiq.Broker:
        """The broker messages go to."""
        return self._broker

    def send(self, actor_name: str, *args: Any) -> None:
        """Enqueue one message for the actor ``actor_name`` with positional ``args``."""
        message: dramatiq.Message[Any] = dramatiq.Message(
            queue_name=ACTOR_QUEUES[actor_name],
            actor_name=actor_name,
            args=args,
            kwargs={},
            options={},
        )
        self._broker.enqueue(message)

    def dispatch_outbox(self) -> None:
        """Enqueue a run of the outbox dispatcher."""
        self.send(DISPATCH_OUTBOX)

    def triage(self, inbox_id: int) -> None:
        """Enqueue the triage of inbox row ``inbox_id``."""
        self.send(TRIAGE, inbox_id)
