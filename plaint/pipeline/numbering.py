"""Public ticket numbers such as ``TS-2026-000123``."""

from __future__ import annotations

import re

__all__ = ["ticket_number", "ticket_numbers_in"]

_SEQUENCE_DIGITS = 6


def ticket_number(*, prefix: str, year: int, sequence: int) -> str:
    """Return the public number of the ``sequence``-th ticket of ``year`` (1-based)."""
    if sequence < 1:
        raise ValueError("sequence starts at 1")
    return f"{prefix}-{year}-{sequence:0{_SEQUENCE_DIGITS}d}"


def ticket_numbers_in(text: str, *, prefix: str) -> list[str]:
    """The ticket numbers of ``prefix`` written in ``text`` (a subject line), in order,
    without duplicates; ``[TS-2026-000123]`` and ``TS-2026-000123`` alike."""
    pattern = re.compile(
        rf"(?<![\w-]){re.escape(prefix)}-(\d{{4}})-(\d{{{_SEQUENCE_DIGITS}}})(?!\d)"
    )
    found = [f"{prefix}-{year}-{seq}" for year, seq in pattern.findall(text)]
    return list(dict.fromkeys(found))
