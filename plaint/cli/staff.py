"""``plaint staff``: (being built)."""

from __future__ import annotations

from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``staff`` commands (none yet)."""
