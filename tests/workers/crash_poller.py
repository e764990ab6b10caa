"""Run one poll exactly as the poll actor does, but die by SIGKILL at one of two moments:
``ack`` (after the inbox rows and the cursor committed and triage was enqueued, before the
ack) or ``commit`` (the rows and the cursor written in the transaction, not committed).

Used by test_flow as a subprocess: ``python -m tests.workers.crash_poller SOURCE MOMENT``,
with the PLAINT_* environment of the test.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence
from typing import Any

import dramatiq

from plaint.channels import open_channel
from plaint.channels.base import Delivery
from plaint.config import load_settings, require_redis_url
from plaint.queue.broker import build_broker
from plaint.service.intake import poll_once
from plaint.service.store import DbCursorStore
from plaint.workers import runtime


def main(source: str, moment: str) -> None:
    broker = build_broker(require_redis_url(load_settings(os.environ)))
    dramatiq.set_broker(broker)
    rt = runtime.current()
    channel = open_channel(
        rt.config.source(source),
        cursors=DbCursorStore(rt.sessions, clock=rt.clock),
        environ=rt.environ,
    )

    stage = channel.stage  # type: ignore[attr-defined]

    def die(deliveries: Sequence[Delivery], **options: Any) -> None:
        if moment == "commit":
            stage(deliveries, **options)
        print(f"pulled {len(deliveries)}, dying before the {moment}", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

    if moment == "commit":
        channel.stage = die  # type: ignore[attr-defined]
    else:
        channel.ack = die  # type: ignore[method-assign]
    poll_once(channel, sessions=rt.sessions, enqueue=rt.producer.triage, clock=rt.clock)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
