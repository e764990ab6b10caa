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

from plaint.channels import open_channel
from plaint.channels.base import Delivery
from plaint.workers import actors, runtime
from plaint.workers.intake import poll_once
from plaint.workers.store import DbCursorStore


def main(source: str) -> None:
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
    poll_once(channel, sessions=rt.sessions, enqueue=actors.triage.send, clock=rt.clock)


if __name__ == "__main__":
    main(sys.argv[1])
