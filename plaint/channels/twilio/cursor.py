"""The read position of a Twilio list: an instant and the SIDs already acked at it.

Twilio's times have one-second resolution and its ``>`` filters include the bound, so the
items at the cursor's own second are listed again; the SIDs kept with the instant let a
pull skip exactly those that were acked, and hand back those that were not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["Mark", "decode_position", "encode_position"]


@dataclass(frozen=True)
class Mark:
    """Everything before ``at``, and the items ``sids`` at ``at``, are acked."""

    at: datetime
    sids: frozenset[str]

    def covers(self, at: datetime, sid: str) -> bool:
        """Whether the item ``sid`` of instant ``at`` was acked."""
        return at < self.at or (at == self.at and sid in self.sids)

    def to_json(self) -> dict[str, Any]:
        """The mark as a JSON-ready object."""
        return {"at": self.at.isoformat(), "sids": sorted(self.sids)}

    @classmethod
    def from_json(cls, data: Any) -> Mark | None:
        """The mark stored as ``data``, or ``None`` when there is none."""
        if not isinstance(data, dict) or "at" not in data:
            return None
        return cls(datetime.fromisoformat(data["at"]), frozenset(data.get("sids", ())))

    @staticmethod
    def advanced(mark: Mark | None, acked: Iterable[tuple[datetime, str]]) -> Mark | None:
        """``mark`` moved past the ``(instant, sid)`` items ``acked``; never back."""
        result = mark
        for at, sid in acked:
            if result is None or at > result.at:
                result = Mark(at, frozenset({sid}))
            elif at == result.at and sid not in result.sids:
                result = Mark(at, result.sids | {sid})
        return result


def encode_position(at: datetime, sid: str, *, prefix: str = "") -> str:
    """A delivery's position: ``[prefix|]instant|sid``."""
    return f"{prefix}|{at.isoformat()}|{sid}" if prefix else f"{at.isoformat()}|{sid}"


def decode_position(position: str) -> tuple[str, datetime, str]:
    """``(prefix, instant, sid)`` of a position made by :func:`encode_position`."""
    parts = position.split("|")
    prefix = parts[0] if len(parts) == 3 else ""
    return prefix, datetime.fromisoformat(parts[-2]), parts[-1]
