"""Serving a worker's metrics: ``plaint worker`` with ``PLAINT_METRICS_ADDR`` set.

dramatiq runs a worker as several processes, each counting its own metrics. So that one
address answers for all of them, ``plaint worker`` turns on prometheus-client's
multiprocess mode (:func:`multiprocess_directory`, before any process starts: each process
then writes its values to files there) and has dramatiq fork one more process,
:func:`serve_worker_metrics`, which serves the sum of those files.

dramatiq's own Prometheus middleware is not used: its exporter listens on 0.0.0.0 unless
told otherwise and its metrics are named ``dramatiq_*``; plaint's address has no default
at all, and the documented value is loopback.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator, MutableMapping
from pathlib import Path

from plaint.config import load_settings

__all__ = ["FORK_FUNCTION", "MULTIPROCESS_ENV", "multiprocess_directory", "serve_worker_metrics"]

logger = logging.getLogger(__name__)

# prometheus-client's switch to multiprocess mode, read when it is first imported.
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
# What ``plaint worker`` passes to dramatiq's ``--fork-function``.
FORK_FUNCTION = "plaint.telemetry.exporter:serve_worker_metrics"


@contextlib.contextmanager
def multiprocess_directory(environ: MutableMapping[str, str]) -> Iterator[Path]:
    """Create an empty directory for the metric files, name it in ``environ`` (the
    process environment, so that forked and spawned processes inherit it), and remove both
    on exit. Must be entered before prometheus-client is imported in this process."""
    directory = Path(tempfile.mkdtemp(prefix="plaint-metrics-"))
    environ[MULTIPROCESS_ENV] = str(directory)
    try:
        yield directory
    finally:
        environ.pop(MULTIPROCESS_ENV, None)
        shutil.rmtree(directory, ignore_errors=True)


def serve_worker_metrics() -> int:
    """dramatiq's fork function: serve the summed metrics of the worker processes on
    ``PLAINT_METRICS_ADDR`` until the process is signalled (dramatiq then exits it);
    return 1 at once when the address cannot be bound (logged)."""
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    address = load_settings(os.environ).metrics_addr
    if address is None:
        return 0
    host, port = address
    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    try:
        start_http_server(port, addr=host, registry=registry)
    except OSError as exc:
        logger.error("metrics: cannot listen on %s:%s (%s)", host, port, type(exc).__name__)
        return 1
    logger.info("metrics: serving on %s:%s", host, port)
    threading.Event().wait()
    return 0
