"""How often the clock enqueues the periodic jobs of the workers.

A module of its own, without imports, so that the clock process does not import the
actors (and through them the whole service layer) only to read three numbers.
"""

from __future__ import annotations

from datetime import timedelta

__all__ = ["OUTBOX_INTERVAL", "RECONCILE_GRACE", "SLA_SWEEP_INTERVAL"]

# Inbox rows whose triage message was never sent are re-sent after this grace period.
RECONCILE_GRACE = timedelta(minutes=1)
SLA_SWEEP_INTERVAL = timedelta(seconds=15)
# The clock runs the outbox dispatcher this often; triage also kicks it at once, at most
# once per KICK_DEBOUNCE (:mod:`plaint.workers.actors`), so this is only the fallback.
OUTBOX_INTERVAL = timedelta(seconds=5)
