"""Public ticket numbers such as ``TS-2026-000123``."""

from __future__ import annotations

__all__ = ["ticket_number"]

_SEQUENCE_DIGITS = 6


def ticket_number(*, prefix: str, year: int, sequence: int) -> str:
    """Return the public number of the ``sequence``-th ticket of ``year`` (1-based)."""
    if sequence < 1:
        raise ValueError("sequence starts at 1")
    return f"{prefix}-{year}-{sequence:0{_SEQUENCE_DIGITS}d}"
