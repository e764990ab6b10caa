"""``plaint web``: serve the staff REST API (and the health probes) with uvicorn."""

from __future__ import annotations

import argparse
import os
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``web`` command."""
    web = subparsers.add_parser(
        "web",
        help="serve the staff REST API, /healthz and /readyz on PLAINT_WEB_HOST:PLAINT_WEB_PORT "
        "(default 127.0.0.1:8000)",
    )
    web.set_defaults(handler=_web)


def _web(args: argparse.Namespace) -> int:
    from plaint.cli.run import configure_logging, this_year
    from plaint.config import load_config, load_settings
    from plaint.web.serve import serve

    settings = load_settings(os.environ)
    config = load_config(settings.config_path, required_years=[this_year()])
    configure_logging(settings)
    serve(settings=settings, config=config)
    return 0
