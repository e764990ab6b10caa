"""Guessing which CJK encoding undeclared bytes are in.

Statistical detectors are unreliable on the few dozen bytes of a subject line: the same
bytes decode without error as GB18030, Big5, Shift_JIS and CP949. What tells them apart
is that text a person wrote consists mostly of *common* characters of its script, while
the wrong decoding scatters into rare ones. So each candidate decoding is scored by the
share of its non-ASCII characters that are in the first (most frequent) level of the
national standard the encoding belongs to: GB2312 level 1 for GB18030, Big5's frequent
characters for Big5, kana and JIS level 1 for Shift_JIS, KS X 1001 Hangul for CP949.
"""

from __future__ import annotations

__all__ = ["guess_cjk"]

# A guess needs at least this share of common characters to be taken.
_MIN_SCORE = 0.6
_MIN_CHARS = 2


def _in(code: bytes, low: int, high: int) -> bool:
    return len(code) == 2 and low <= int.from_bytes(code, "big") <= high


def _encoded(ch: str, codec: str) -> bytes:
    try:
        return ch.encode(codec)
    except UnicodeEncodeError:
        return b""


def _common_simplified(ch: str) -> bool:
    code = _encoded(ch, "gb2312")
    return _in(code, 0xB0A1, 0xD7FE) or _in(code, 0xA1A1, 0xA9FE)


def _common_traditional(ch: str) -> bool:
    code = _encoded(ch, "big5")
    return _in(code, 0xA440, 0xC67E) or _in(code, 0xA140, 0xA3BF)


def _common_japanese(ch: str) -> bool:
    if "\u3040" <= ch <= "\u30ff" or "\u3000" <= ch <= "\u303f":
        return True
    code = _encoded(ch, "shift_jis")
    return _in(code, 0x889F, 0x9872) or _in(code, 0x8140, 0x84BE)


def _common_korean(ch: str) -> bool:
    return "\uac00" <= ch <= "\ud7a3" and bool(_encoded(ch, "euc_kr"))


_CANDIDATES = (
    ("gb18030", _common_simplified),
    ("big5hkscs", _common_traditional),
    ("cp932", _common_japanese),
    ("cp949", _common_korean),
)


def guess_cjk(data: bytes) -> str | None:
    """``data`` decoded with the CJK encoding whose reading is most plausible, or ``None``
    when no candidate decodes it into mostly common characters."""
    best: tuple[float, str] | None = None
    for codec, common in _CANDIDATES:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        wide = [ch for ch in text if ord(ch) > 0x7F]
        if len(wide) < _MIN_CHARS:
            continue
        score = sum(1 for ch in wide if common(ch)) / len(wide)
        if score >= _MIN_SCORE and (best is None or score > best[0]):
            best = (score, text)
    return None if best is None else best[1]
