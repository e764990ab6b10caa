"""``plaint demo``: the whole flow on embedded defaults (see :mod:`plaint.demo.run`).

The demo lives in the ``plaint.demo`` subpackage, which nothing else imports; its IMAP
server needs the ``demo`` extra (``pip install 'plaint[demo]'``).
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path
from typing import Any

from plaint.errors import ConfigError

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``demo`` command."""
    demo = subparsers.add_parser(
        "demo", help="run the whole flow on a local IMAP server seeded with complaints"
    )
    demo.add_argument("--keep", type=Path, help="keep the demo's data in this directory")
    demo.set_defaults(handler=_demo)


def _demo(args: argparse.Namespace) -> int:
    if importlib.util.find_spec("pymap") is None:
        raise ConfigError("plaint demo needs the demo extra: pip install 'plaint[demo]'")
    from plaint.demo.run import run_demo

    return run_demo(keep=args.keep)
