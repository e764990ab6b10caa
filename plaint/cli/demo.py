"""``plaint demo``: the whole flow on embedded defaults (see :mod:`plaint.demo.run`).

The demo lives in the ``plaint.demo`` subpackage, which nothing else imports; its IMAP
and SMTP servers need the ``demo`` extra (``pip install 'plaint[demo]'``). In a terminal it ends by
serving the pages until Ctrl-C; ``--no-serve`` (the default when stdout is not a terminal:
scripts, CI, a pipe) prints the tickets and exits.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from typing import Any

from plaint.errors import ConfigError

__all__ = ["register"]

# The modules the ``demo`` extra installs: the local IMAP and SMTP servers.
_DEMO_EXTRA = ("pymap", "aiosmtpd")


def register(subparsers: Any) -> None:
    """Add the ``demo`` command."""
    demo = subparsers.add_parser(
        "demo",
        help="run the whole flow: residents' mails, SMS and calls in, their tickets, and "
        "what each resident received",
    )
    demo.add_argument("--keep", type=Path, help="keep the demo's data in this directory")
    demo.add_argument(
        "--serve", action=argparse.BooleanOptionalAction, default=None,
        help="then serve the pages on loopback with a one-time sign-in link until Ctrl-C "
        "(default: only when stdout is a terminal, so scripts and CI never wait)",
    )  # fmt: skip
    demo.set_defaults(handler=_demo)


def _demo(args: argparse.Namespace) -> int:
    if any(importlib.util.find_spec(m) is None for m in _DEMO_EXTRA):
        raise ConfigError("plaint demo needs the demo extra: pip install 'plaint[demo]'")
    from plaint.demo.run import run_demo

    serve = sys.stdout.isatty() if args.serve is None else args.serve
    return run_demo(keep=args.keep, serve=serve)
