"""Which language a resident wrote in, from the script of the letters and a few English
function words: enough to answer in the resident's language (zh or en templates).

Returns an ISO 639-1 code: ``zh`` when Han characters make up at least
:data:`CJK_SHARE` of the letters (Chinese residents mix in Latin unit numbers and brand
names), ``ja`` when kana are present among them, ``ko`` for Hangul; ``en`` for Latin
letters with at least one common English function word; ``und`` (undetermined) otherwise,
including empty text and Latin text in another language. A pure function of the text.
"""

from __future__ import annotations

import re

__all__ = ["CJK_SHARE", "UNDETERMINED", "detect_language"]

CJK_SHARE = 0.3  # share of letters in CJK scripts from which a text is CJK
UNDETERMINED = "und"

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")
_LATIN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_ENGLISH = frozenset(
    {
        "the", "a", "an", "is", "are", "was", "were", "be", "been", "my", "our", "your", "i", "we",
        "you", "it", "this", "that", "there", "here", "and", "or", "but", "not", "no", "of", "in",
        "on", "at", "to", "for", "from", "with", "by", "please", "can", "could", "would", "will",
        "has", "have", "had", "do", "does", "did", "since", "again", "still",
    }
)  # fmt: skip


def detect_language(text: str) -> str:
    """Return ``zh``, ``ja``, ``ko``, ``en`` or ``und`` for ``text``; never raises."""
    letters = sum(1 for ch in text if ch.isalpha())
    if not letters:
        return UNDETERMINED
    han, kana, hangul = (len(p.findall(text)) for p in (_HAN, _KANA, _HANGUL))
    if (han + kana + hangul) / letters >= CJK_SHARE:
        if hangul > han + kana:
            return "ko"
        return "ja" if kana else "zh"
    words = _LATIN_WORD.findall(text.casefold())
    return "en" if any(word in _ENGLISH for word in words) else UNDETERMINED
