"""Recognising and undoing mojibake: text decoded with the wrong charset.

The common case in mail is UTF-8 read as Latin-1/CP1252 (``é`` → ``Ã©``, ``中`` →
``ä¸­``): a run of Latin-1/CP1252 characters whose bytes are valid multi-byte UTF-8. Legitimate
European text almost never forms such a run (two accented letters in a row are not valid
UTF-8), so finding one is strong evidence. The replacement character U+FFFD counts too.
"""

from __future__ import annotations

import re

__all__ = ["has_mojibake", "repair_mojibake"]

# Characters that CP1252 maps the bytes 0x80-0x9F to, plus the Latin-1 range 0xA0-0xFF.
_CP1252_HIGH = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ"
_RUN = re.compile(f"[\u00a0-\u00ff{_CP1252_HIGH}\u0080-\u009f]{{2,}}")


def _as_bytes(run: str) -> bytes | None:
    out = bytearray()
    for ch in run:
        try:
            out += ch.encode("cp1252")
        except UnicodeEncodeError:
            if ord(ch) > 0xFF:
                return None
            out.append(ord(ch))  # a C1 control or a byte CP1252 leaves undefined
    return bytes(out)


_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def _utf8_of(run: str) -> str | None:
    """The run's bytes decoded as UTF-8 when they hold a complete multi-byte sequence."""
    data = _as_bytes(run)
    if data is None or _UTF8_SEQUENCE.search(data) is None:
        return None
    return data.decode("utf-8", errors="ignore")


def has_mojibake(text: str) -> bool:
    """True when ``text`` holds U+FFFD or a run of UTF-8 read as Latin-1/CP1252."""
    if "\ufffd" in text:
        return True
    return any(_utf8_of(match.group()) is not None for match in _RUN.finditer(text))


def repair_mojibake(text: str) -> str:
    """Return ``text`` with each run of UTF-8 read as Latin-1/CP1252 decoded again, when the
    whole run re-decodes cleanly; everything else is left as it is."""

    def fix(match: re.Match[str]) -> str:
        data = _as_bytes(match.group())
        if data is None:
            return match.group()
        try:
            fixed = data.decode("utf-8")
        except UnicodeDecodeError:
            return match.group()
        return fixed if _utf8_of(match.group()) is not None else match.group()

    return _RUN.sub(fix, text)
