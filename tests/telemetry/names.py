"""The sample names plaint's metrics can show, as Prometheus queries name them."""

from __future__ import annotations

from prometheus_client import REGISTRY

import plaint.telemetry.metrics  # noqa: F401  (registers the worker metrics)
from plaint.telemetry.state import StateCollector

_SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}


def exported_names() -> set[str]:
    """Every ``plaint_*`` sample name: the worker metrics (in this process's default
    registry) and the scrape-time gauges (:meth:`StateCollector.describe`)."""
    families = [f for f in REGISTRY.collect() if f.name.startswith("plaint_")]
    families += list(StateCollector.describe(None))  # type: ignore[arg-type]
    return {f.name + suffix for f in families for suffix in _SUFFIXES[f.type]}
