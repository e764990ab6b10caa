"""Where in the estate a complaint is about: building, unit (entrance, 单元) and room.

:func:`extract_place` reads the first address a resident wrote, in Chinese or English::

    3号楼2单元1201, 3栋2单元1201室, 3-2-1201   building "3", unit "2", room "1201"
    三号楼, 3#楼                            building "3"
    5幢1101                                 building "5", room "1101"
    B座1201                                 building "B", room "1201"
    Bldg 3 Apt 1201                         building "3", room "1201"
    Block C, flat 12                        building "C", room "12"
    unit 6-402                              building "6", room "402"

It is conservative: a number needs a marker (号楼, 栋, 单元, 室, Building, Apt …) or the
three-part ``B-U-R`` form to count, so "3号" (a date), "3楼" (a floor), phone numbers,
dates, money and times are not places. English "unit 6-402" means apartment 402 of
building 6, as in the two-part Chinese ``楼-房`` form.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Place", "extract_place"]


@dataclass(frozen=True)
class Place:
    """A place in the estate; each part is ``None`` when the text does not say it.

    ``building`` is a number without leading zeros or an upper-case letter ("3", "B");
    ``unit`` is the entrance (单元) number; ``room`` the door number ("1201")."""

    building: str | None = None
    unit: str | None = None
    room: str | None = None


_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}  # fmt: skip
# A Chinese numeral that names a number, not "同一" (the same) or "这一" (this one).
_ZH_NUM = "(?<![这那每哪几同各零〇一二三四五六七八九十百])[零〇一二三四五六七八九十百]{1,5}"
# Not the tail of a longer number, a decimal or a time ("2.5", "10:30", "2026-3").
_NOT_AFTER_NUMBER = r"(?<![\d\-/])(?<!\d[.:])"
# Nor its head: a sentence's full stop may follow, a decimal's point may not.
_NOT_BEFORE_NUMBER = r"(?![\d\-/]|[.:]\d)"
_DIGITS = rf"{_NOT_AFTER_NUMBER}[1-9]\d{{0,2}}(?!\d)"
# What may sit between the parts of a Chinese address: "3号楼 2单元", "3号楼的1201室".
_GAP = r"[\s,，、的]*"
# A Chinese room number, unless it is really a year, a date, a time, money or a floor.
_ZH_ROOM = (
    r"(?P<room>[1-9]\d{2,3})(?![\d:：\-年月日点时分秒元块万%岁楼层]|\.\d)(?:室|号房|房间?|号)?"
)

_ZH_BUILDING = re.compile(
    # "11月3号楼下" is "downstairs on 3 November"; "3号楼道" is "the stairwell on the 3rd".
    rf"(?:(?<!月)(?P<digits>{_DIGITS})\s*(?:号楼(?!道)|#楼|栋|幢|座)"
    rf"|(?<![A-Za-z])(?P<letter>[A-Za-z])\s*(?:号楼|栋|幢|座)"
    # In Chinese numerals, "一栋楼" counts buildings; only "三号楼", "三栋" name one.
    rf"|(?P<numeral>{_ZH_NUM})(?:号楼(?!道)|(?:栋|幢)(?!楼|房|大楼|高楼|别墅|建筑)))"
    rf"{_GAP}(?:(?P<unit>{_DIGITS}|{_ZH_NUM})\s*单元)?"
    rf"{_GAP}(?:{_ZH_ROOM})?"
)
_ZH_UNIT = re.compile(rf"(?P<unit>{_DIGITS}|{_ZH_NUM})\s*单元{_GAP}(?:{_ZH_ROOM})?")
_ZH_ROOM_ONLY = re.compile(rf"{_NOT_AFTER_NUMBER}(?P<room>[1-9]\d{{2,3}})\s*(?:室|号房|房间)")
_TRIPLE = re.compile(
    rf"{_NOT_AFTER_NUMBER}(?P<building>[1-9]\d{{0,2}})-(?P<unit>[1-9]\d?)"
    rf"-(?P<room>[1-9]\d{{2,3}}){_NOT_BEFORE_NUMBER}"
)
_EN_BUILDING = re.compile(
    r"(?i:\b(?:building|block|tower)\b|\b(?:bldg|blk)\b\.?)\s*(?:(?i:no)\.?\s*|#\s*)?"
    r"(?:(?P<digits>[1-9]\d{0,2})(?!\d|[.:]\d)|(?P<letter>[A-Z])(?![A-Za-z\d]))"
)
_EN_ENTRANCE = re.compile(r"(?i:\bentrance\b)\s*(?:#\s*)?(?P<unit>[1-9]\d?)(?!\d|[.:]\d)")
_EN_ROOM = re.compile(
    r"(?i:\b(?:apartment|flat|room|suite|unit)\b|\b(?:apt|rm)\b\.?)\s*(?:(?i:no)\.?\s*|#\s*)?"
    r"(?:(?P<building>[1-9]\d{0,2})-)?(?P<room>[1-9]\d{0,3}(?:[A-Z](?![A-Za-z]))?)"
    rf"{_NOT_BEFORE_NUMBER}"
)
# A day-month-year triple such as 3-2-2026 reads as a date, not as building-unit-room.
_YEARS = range(1900, 2100)
_MAX_DAY, _MAX_MONTH = 31, 12


def extract_place(text: str) -> Place | None:
    """Return the first building / unit / room named in ``text``, or ``None`` if none is.

    Full-width forms are folded first ("３号楼" reads as "3号楼"); Chinese numerals in
    building and unit numbers become digits ("三号楼" → "3"). Pure: no I/O."""
    text = unicodedata.normalize("NFKC", text)
    for find in (_triple, _zh_building, _zh_unit, _zh_room, _english):
        place = find(text)
        if place is not None:
            return place
    return None


def _triple(text: str) -> Place | None:
    for match in _TRIPLE.finditer(text):
        building, unit, room = match.group("building", "unit", "room")
        dated = int(room) in _YEARS and int(building) <= _MAX_DAY and int(unit) <= _MAX_MONTH
        if not dated:
            return Place(building, unit, room)
    return None


def _zh_building(text: str) -> Place | None:
    for match in _ZH_BUILDING.finditer(text):
        letter = match.group("letter")
        building = letter.upper() if letter else _number(match.group("digits", "numeral"))
        if building is not None:
            return Place(building, _number((match.group("unit"),)), match.group("room"))
    return None


def _zh_unit(text: str) -> Place | None:
    for match in _ZH_UNIT.finditer(text):
        unit = _number((match.group("unit"),))
        if unit is not None:
            return Place(None, unit, match.group("room"))
    return None


def _zh_room(text: str) -> Place | None:
    match = _ZH_ROOM_ONLY.search(text)
    return Place(room=match.group("room")) if match else None


def _english(text: str) -> Place | None:
    building_match = _EN_BUILDING.search(text)
    entrance_match = _EN_ENTRANCE.search(text)
    room_match = _EN_ROOM.search(text)
    building = None
    if building_match:
        building = building_match.group("digits") or building_match.group("letter")
    elif room_match:
        building = room_match.group("building")
    unit = entrance_match.group("unit") if entrance_match else None
    room = room_match.group("room") if room_match else None
    if building is None and unit is None and room is None:
        return None
    return Place(building, unit, room)


def _number(candidates: tuple[str | None, ...]) -> str | None:
    """The first candidate that is a number, as digits without leading zeros."""
    for text in candidates:
        if text:
            return str(int(text)) if text.isdigit() else _zh_numeral(text)
    return None


def _zh_numeral(text: str) -> str | None:
    """Chinese numeral to digits: "三" → "3", "十二" → "12", "一百零五" → "105"; else None."""
    total, current = 0, 0
    for char in text:
        if char in "零〇":
            continue
        if char == "十":
            total, current = total + (current or 1) * 10, 0
        elif char == "百":
            if not current:
                return None
            total, current = total + current * 100, 0
        elif current:
            return None
        else:
            current = _ZH_DIGITS[char]
    total += current
    return str(total) if total else None
