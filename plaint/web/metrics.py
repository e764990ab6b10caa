"""``GET /metrics``: Prometheus's text format of a registry, unauthenticated like the probes
(counts and durations only, never an id or a name of a resident); keep the web port off
the public internet or block the path at the proxy, as for ``/readyz``."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

__all__ = ["metrics_router"]


def metrics_router(registry: CollectorRegistry) -> APIRouter:
    """A router serving ``registry`` at ``/metrics``; each request collects it afresh."""
    router = APIRouter(tags=["probes"])

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    def metrics() -> Response:
        """The registry's metrics in Prometheus's text exposition format."""
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router
