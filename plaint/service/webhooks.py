"""Outbound webhook events: a ticket created, updated, breached or closed, written to the
outbox for every configured webhook that wants the event (:mod:`plaint.config.webhooks`)
and delivered by the ``webhook`` sender (:mod:`plaint.channels.webhook`) with the outbox's
retries and backoff.

One notification per webhook, event, ticket and *occurrence* — the clock and cycle of a
breach, the closure cycle of a close, the action and instant of an update — under the
outbox's unique key, so a repeated sweep, triage or action never posts an event twice.
The body is a snapshot taken when the event happened: codes, status, department and due
times; never the resident's contact or the complaint's text.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from plaint.channels.outbound import Outgoing
from plaint.config import Config
from plaint.models import Notification, NotificationStatus, Ticket
from plaint.service.store import dialect_insert

__all__ = ["WEBHOOK", "emit_event", "webhook_outgoing"]

WEBHOOK = "webhook"  # the channel and recipient kind of webhook notifications


def emit_event(
    session: Session, ticket: Ticket, *, event: str, occurrence: str, config: Config,
    now: datetime,
) -> int:  # fmt: skip
    """Write ``event`` of ``ticket`` (written, with its id) for every webhook that wants it,
    in the caller's transaction; return how many rows were new. Sends no statement when no
    webhook wants the event."""
    hooks = [hook for hook in config.webhooks if event in hook.events]
    if not hooks:
        return 0
    body = {"event": event, "occurred_at": _iso(now), "ticket": _snapshot(ticket)}
    rows = [{
        "key": f"{WEBHOOK}:{hook.name}:{event}:{ticket.id}:{occurrence}", "ticket_id": ticket.id,
        "recipient_kind": WEBHOOK, "recipient": hook.url, "template": event,
        "data": {**body, "delivery": {"webhook": hook.name, "secret_env": hook.secret_env}},
        "urgent": True, "not_before": now, "created_at": now, "updated_at": now,
        "status": NotificationStatus.PENDING.value, "attempts": 0, "channel": WEBHOOK,
    } for hook in hooks]  # fmt: skip
    statement = dialect_insert(session, Notification).on_conflict_do_nothing(index_elements=["key"])
    done = session.connection().execute(statement, rows)
    return int(done.rowcount or 0)


def _snapshot(ticket: Ticket) -> dict[str, Any]:
    return {
        "number": ticket.number, "status": str(ticket.status), "channel": ticket.channel,
        "category": ticket.category, "sub_topic": ticket.sub_topic, "level": ticket.level,
        "urgency": ticket.urgency, "department": ticket.department.code,
        "assignee": ticket.assignee, "received_at": _iso(ticket.received_at),
        "first_response_due": _iso(ticket.first_response_due),
        "closure_due": _iso(ticket.closure_due),
    }  # fmt: skip


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def webhook_outgoing(row: Notification, *, first_attempt_at: datetime) -> Outgoing:
    """The message of webhook notification ``row``: its event as a JSON body (without the
    delivery details), to its URL, signed with the secret its webhook names."""
    data = dict(row.data or {})
    delivery = data.pop("delivery", {})
    body = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return Outgoing(key=row.key, channel=WEBHOOK, recipient=row.recipient, body=body,
                    first_attempt_at=first_attempt_at, subject=row.template,
                    credential=str(delivery.get("secret_env", "")))  # fmt: skip
