"""``plaint idle``: the IMAP IDLE listener of ``plaint run``'s stack (new mail → a poll
within seconds, instead of at the next poll interval)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from typing import Any

__all__ = ["register"]

logger = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    """Add the ``idle`` command."""
    idle = subparsers.add_parser(
        "idle",
        help="listen with IMAP IDLE and enqueue a poll when mail arrives",
        description="For every IMAP source with idle = true whose server has IDLE: enqueue "
        "its poll as soon as new mail arrives (and after every reconnection).",
    )
    idle.set_defaults(handler=_idle)


def _idle(args: argparse.Namespace) -> int:
    from functools import partial

    from plaint.cli.run import configure_logging
    from plaint.config import load_config, load_settings, require_broker_url
    from plaint.queue import producer as names
    from plaint.queue.broker import build_broker
    from plaint.workers.idle import run_idle

    settings = load_settings(os.environ)
    configure_logging(settings)
    config = load_config(settings.config_path)
    producer = names.Producer(build_broker(require_broker_url(settings)))
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    run_idle(config.sources, environ=os.environ,
             enqueue_poll=partial(producer.send, names.POLL_SOURCE), stop=stop)  # fmt: skip
    return 0
