"""SMS text arithmetic: how many segments a body costs, and the opt-out keywords.

A body that fits the GSM 03.38 alphabet is sent in 7-bit units (160 in one segment, 153 per
segment once concatenated; the extension characters ``^{}\\[~]|€`` take two units and
never straddle segments); anything else, Chinese included, goes as UCS-2 (70 in one
segment, 67 per segment once concatenated; characters outside the Basic Multilingual
Plane take two units and are never split). plaint never truncates: it counts.
"""

from __future__ import annotations

import enum

__all__ = ["KeywordAction", "keyword_action", "segment_count"]

_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = frozenset("^{}\\[~]|€\f")
GSM_SINGLE, GSM_MULTI = 160, 153  # 7-bit units per segment
UCS2_SINGLE, UCS2_MULTI = 70, 67  # 16-bit units per segment


def _gsm_units(body: str) -> list[int] | None:
    units = []
    for char in body:
        if char in _GSM_BASIC:
            units.append(1)
        elif char in _GSM_EXTENSION:
            units.append(2)
        else:
            return None
    return units


def _pack(units: list[int], *, single: int, multi: int) -> int:
    """Segments for characters of ``units`` each, no character split across segments."""
    if sum(units) <= single:
        return 1
    segments, used = 1, 0
    for size in units:
        if used + size > multi:
            segments, used = segments + 1, 0
        used += size
    return segments


def segment_count(body: str) -> int:
    """The number of SMS segments ``body`` is sent in (at least 1, also when empty)."""
    gsm = _gsm_units(body)
    if gsm is not None:
        return _pack(gsm, single=GSM_SINGLE, multi=GSM_MULTI)
    ucs2 = [2 if ord(char) > 0xFFFF else 1 for char in body]
    return _pack(ucs2, single=UCS2_SINGLE, multi=UCS2_MULTI)


class KeywordAction(enum.StrEnum):
    """What an SMS keyword asks for."""

    STOP = "stop"
    START = "start"


_KEYWORDS = {
    "STOP": KeywordAction.STOP,
    "UNSUBSCRIBE": KeywordAction.STOP,
    "退订": KeywordAction.STOP,
    "TD": KeywordAction.STOP,
    "START": KeywordAction.START,
    "订阅": KeywordAction.START,
}
_TRIM = " \t\r\n.!。！"


def keyword_action(body: str) -> KeywordAction | None:
    """The opt-out or opt-in ``body`` asks for, when the whole text (case, spaces and a
    final full stop or exclamation mark aside) is one keyword; ``None`` otherwise (a
    complaint that mentions 退订 is still a complaint)."""
    return _KEYWORDS.get(body.strip(_TRIM).upper())
