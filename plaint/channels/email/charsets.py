"""Decoding the bytes of mail into text the way mail in China needs it.

The order of trust, for one run of bytes and its declared charset label:

1. Mislabelled UTF-8 first: bytes that are valid UTF-8 with non-ASCII sequences and that
   were labelled with a single-byte charset (or with a multi-byte one and enough UTF-8
   sequences to rule out chance) are UTF-8. Valid UTF-8 almost never happens by accident.
2. The declared label, widened to the superset senders really use: GB2312/GBK → GB18030,
   Big5 → Big5-HKSCS, Shift_JIS → CP932, KS C 5601/EUC-KR → CP949, ISO-2022-JP → its
   extended variants, ISO-8859-1 → CP1252.
3. Only when that fails (an unknown label, or bytes the label cannot decode): UTF-8, then
   the most plausible CJK reading (:mod:`plaint.channels.email.cjk`: statistical
   detectors guess wrong on a short subject), then ``charset-normalizer``'s detection,
   then GB18030, then UTF-8 dropping what cannot be decoded.

Whatever comes out never holds U+FFFD: a replacement character carries nothing, and the
raw message stays in the inbox for anyone who needs the bytes.
"""

from __future__ import annotations

import codecs
import re
from email.header import decode_header

from charset_normalizer import from_bytes

from plaint.channels.email.cjk import guess_cjk

__all__ = ["decode_bytes", "decode_header_value", "decode_surrogates", "widen_label"]

_SUPERSETS: dict[str, tuple[str, ...]] = {
    "gb2312": ("gb18030",),
    "gbk": ("gb18030",),
    "x-gbk": ("gb18030",),
    "cp936": ("gb18030",),
    "ms936": ("gb18030",),
    "euc-cn": ("gb18030",),
    "gb_2312-80": ("gb18030",),
    "chinese": ("gb18030",),
    "csgb2312": ("gb18030",),
    "hz-gb-2312": ("hz", "gb18030"),
    "big5": ("big5hkscs", "cp950"),
    "x-big5": ("big5hkscs", "cp950"),
    "cn-big5": ("big5hkscs", "cp950"),
    "big5-hkscs": ("big5hkscs", "cp950"),
    "shift_jis": ("cp932", "shift_jis_2004"),
    "x-sjis": ("cp932",),
    "sjis": ("cp932",),
    "iso-2022-jp": ("iso2022_jp_ext", "iso2022_jp_2", "iso2022_jp_2004"),
    "euc-jp": ("euc_jis_2004", "euc_jp"),
    "ks_c_5601-1987": ("cp949",),
    "ks_c_5601": ("cp949",),
    "euc-kr": ("cp949",),
    "iso-8859-1": ("cp1252", "latin-1"),
    "latin1": ("cp1252", "latin-1"),
    "latin-1": ("cp1252", "latin-1"),
    "iso-8859-8-i": ("iso-8859-8",),
    "tis-620": ("cp874",),
    "windows-874": ("cp874",),
    "unicode-1-1-utf-7": ("utf-7",),
    "ascii": ("ascii",),
    "unicode": ("utf-16",),
    "unicodebig": ("utf-16-be",),
    "unicodelittle": ("utf-16-le",),
}
# Labels that say "I do not know": go straight to detection.
_UNKNOWN = frozenset({"unknown-8bit", "x-unknown", "unknown", "default", "x-user-defined", ""})
# Encodings where every byte is a character: any bytes decode, so a decode proves nothing.
_SINGLE_BYTE = frozenset({"cp1252", "latin-1", "ascii", "us-ascii"})
# Multi-byte labels: UTF-8 wins only with at least this many non-ASCII bytes.
_UTF8_EVIDENCE_BYTES = 6
# "Nearly UTF-8": at least this many good non-ASCII characters per broken sequence.
_NEARLY_UTF8_RATIO = 8


# From the first to the last 8-bit byte, not across the brackets or quotes around an
# address (Big5 and GBK trail bytes may be ASCII letters, so ASCII inside is kept in).
_EIGHT_BIT_RUN = re.compile(rb'[\x80-\xff](?:[^<>"\r\n]*[\x80-\xff])?')


def widen_label(charset: str | None) -> tuple[str, ...]:
    """The codec names to try, in order, for the declared ``charset`` (``()`` when the
    label is missing, says "unknown" or names no codec Python has)."""
    if charset is None:
        return ()
    label = charset.strip().strip("\"'").lower()
    if label in _UNKNOWN:
        return ()
    names = _SUPERSETS.get(label, (label,))
    known: list[str] = []
    for name in names:
        try:
            codecs.lookup(name)
        except LookupError:
            continue
        known.append(name)
    return tuple(known)


def _strict(data: bytes, name: str) -> str | None:
    try:
        return data.decode(name)
    except (UnicodeDecodeError, LookupError):
        return None


def _mislabelled_utf8(data: bytes, names: tuple[str, ...]) -> str | None:
    """``data`` as UTF-8 when it is valid UTF-8 declared as something else."""
    if not names or data.isascii() or names[0] in ("utf-8", "utf8"):
        return None
    text = _strict(data, "utf-8")
    if text is None:
        return None
    single_byte = codecs.lookup(names[0]).name in _SINGLE_BYTE
    non_ascii = sum(1 for byte in data if byte >= 0x80)
    return text if single_byte or non_ascii >= _UTF8_EVIDENCE_BYTES else None


def _nearly_utf8(data: bytes) -> str | None:
    """UTF-8 with a few broken bytes (a truncated character): the rest decoded."""
    text = data.decode("utf-8", errors="replace")
    broken = text.count("\ufffd")
    wide = sum(1 for ch in text if ord(ch) > 0x7F) - broken
    return text if wide > 0 and broken * _NEARLY_UTF8_RATIO <= wide else None


def _detected(data: bytes) -> str | None:
    """charset-normalizer's best guess, never a BOM-less UTF-16/32 (which it offers for
    any even number of bytes)."""
    for match in from_bytes(data):
        if match.encoding.startswith(("utf_16", "utf_32")):
            continue
        text = str(match)
        return text if "\ufffd" not in text else None
    return None


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode ``data`` declared as ``charset`` (see the module's order of trust); never
    raises and never returns U+FFFD."""
    names = widen_label(charset)
    text = _mislabelled_utf8(data, names)
    for name in names:
        if text is not None:
            break
        text = _strict(data, name)
    if text is None:
        text = _strict(data, "utf-8") or guess_cjk(data) or _nearly_utf8(data) or _detected(data)
        text = text or _strict(data, "gb18030")
    if text is None:
        text = data.decode("utf-8", errors="ignore")
    return text.replace("\ufffd", "")


def decode_surrogates(value: str, charset: str | None) -> str:
    """Decode a header the parser read with raw 8-bit bytes (surrogate-escaped, against
    RFC 5322 but common): as UTF-8 (RFC 6532) if it is, else as the most plausible CJK
    encoding (headers are often in the sender's locale whatever the body declares), else
    by ``charset``."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    data = value.encode("utf-8", errors="surrogateescape")
    whole = _strict(data, "utf-8")
    if whole is not None:
        return whole
    # Only the 8-bit runs are decoded: the ASCII around them (addresses) stays as it is.
    return _EIGHT_BIT_RUN.sub(lambda m: _decode_run(m.group(), charset), data).decode("utf-8")


def _decode_run(run: bytes, charset: str | None) -> bytes:
    text = guess_cjk(run) or decode_bytes(run, charset)
    return text.encode("utf-8")


def decode_header_value(value: str, charset: str | None) -> str:
    """A header value (or parameter) as text: raw 8-bit bytes by :func:`decode_surrogates`,
    then RFC 2047 encoded words each by its own label; never raises."""
    value = decode_surrogates(value, charset)
    try:
        parts = decode_header(value)
    except (ValueError, LookupError, AssertionError):
        return value
    return "".join(
        decode_bytes(chunk, label) if isinstance(chunk, bytes) else chunk for chunk, label in parts
    )
