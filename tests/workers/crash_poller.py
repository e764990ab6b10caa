"""Run one poll exactly as the poll actor does, but die by SIGKILL at the moment the
cursor would advance: after the inbox rows were written and triage was enqueued.

Used by test_flow as a subprocess: ``python -m tests.workers.crash_poller SOURCE``, with
the PLAINT_* environment of the test.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence

import dramatiq

from plaint.channels import open_channel
from plaint.channels.base import Delivery
from plaint.config import load_settings, require_redis_url
from plaint.queue.broker import build_broker
from plaint.service.intake import poll_once
from plaint.service.store import DbCursorStore
from plaint.workers import runtime


def main(source: str) -> None:
    broker = build_broker(require_redis_url(load_settings(os.environ)))
    dramatiq.set_broker(broker)
    rt = runtime.current()
    channel = open_channel(
        rt.config.source(source),
        cursors=DbCursorStore(rt.sessions, clock=rt.clock),
        environ=rt.environ,
    )

    def die(deliveries: Sequence[Delivery]) -> None:
        print(f"pulled {len(deliveries)}, dying before the ack", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

    channel.ack = die  # type: ignore[method-assign]
    poll_once(channel, sessions=rt.sessions, enqueue=rt.producer.triage, clock=rt.clock)


if __name__ == "__main__":
    main(sys.argv[1])
