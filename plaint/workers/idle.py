"""The IDLE listener: one long-lived thread per IMAP source that has ``idle = true``.

On every change the server reports, and on every (re)connection (mail that came during an
outage is then backfilled from the cursor), it enqueues ``poll_source`` for the source;
the poll itself runs in a worker under the poll lock, as the clock's polls do, so IDLE
never takes mail in by another path and several listeners cannot take a mail twice.
A server without IDLE is left to the clock's polling. A lost connection is retried with
exponential backoff and jitter (dramatiq's ``compute_backoff``), up to
:data:`MAX_BACKOFF`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta

from dramatiq.common import compute_backoff

from plaint.channels.email.idle import ImapIdleWatcher
from plaint.config import SourceConfig
from plaint.errors import ChannelUnavailableError

__all__ = ["MAX_BACKOFF", "SLICE", "run_idle"]

logger = logging.getLogger(__name__)

# One IDLE command lasts at most this long, so a stop is noticed within it (RFC 2177 asks
# clients to re-issue IDLE at least every 29 minutes).
SLICE = timedelta(seconds=5)
MAX_BACKOFF = timedelta(minutes=2)
_BACKOFF_FACTOR_MS = 500
_MAX_BACKOFF_MS = int(MAX_BACKOFF.total_seconds() * 1000)


def _listen(
    source: SourceConfig,
    watcher: ImapIdleWatcher,
    *,
    enqueue_poll: Callable[[str], None],
    stop: threading.Event,
) -> None:
    failures = 0
    while not stop.is_set():
        try:
            if not watcher.supports_idle():
                logger.info("source %s has no IDLE: the clock polls it", source.name)
                return
            enqueue_poll(source.name)  # connected (again): backfill from the cursor
            failures = 0
            while not stop.is_set():
                if watcher.wait(timeout=SLICE.total_seconds()):
                    enqueue_poll(source.name)
        except ChannelUnavailableError as exc:
            failures += 1
            _, delay_ms = compute_backoff(
                failures, factor=_BACKOFF_FACTOR_MS, max_backoff=_MAX_BACKOFF_MS
            )
            logger.warning(
                "source %s IDLE lost (%s); retry in %.1fs", source.name, exc, delay_ms / 1000
            )
            stop.wait(delay_ms / 1000)
    watcher.close()


def run_idle(
    sources: Sequence[SourceConfig],
    *,
    environ: Mapping[str, str],
    enqueue_poll: Callable[[str], None],
    stop: threading.Event,
) -> None:
    """Listen on every IMAP source with ``idle`` until ``stop`` is set; blocks. With no
    such source it just waits for ``stop`` (a supervised process must not exit)."""
    threads = []
    for source in sources:
        if source.kind != "imap" or not source.idle:
            continue
        watcher = ImapIdleWatcher.from_config(source, environ=environ)
        thread = threading.Thread(
            target=_listen, name=f"idle-{source.name}", daemon=True,
            kwargs={"source": source, "watcher": watcher, "enqueue_poll": enqueue_poll,
                    "stop": stop},
        )  # fmt: skip
        thread.start()
        threads.append(thread)
    stop.wait()
    for thread in threads:
        thread.join(timeout=SLICE.total_seconds() * 2)
