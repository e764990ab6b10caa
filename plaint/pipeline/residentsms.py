"""What a resident's SMS asks, beyond opt-out (:mod:`plaint.pipeline.smstext`): a status
query, or an answer to the follow-up survey. Pure functions of the text.

- Status query: the whole text is 状态 / 进度 / 查询 / STATUS (any case), optionally followed
  by a ticket number (``进度 TS-2026-000123``). A complaint that mentions 进度 is not one.
- Survey answer: a score 1-5 (digits, also full-width), or 满意 (5) / 基本满意 (3) /
  不满意 (1) — or 非常满意 (5) / 很不满意 / 非常不满意 (1) —, at the start, optionally
  followed by free text (the comment).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["LOW_SCORE", "StatusQuery", "SurveyReply", "parse_status_query", "parse_survey_reply"]

LOW_SCORE = 2  # a score at or under this reopens the ticket and escalates it

_STATUS = re.compile(
    r"^\s*(?:状态|进度|查询|status)\s*[:：]?\s*([A-Za-z][A-Za-z0-9]{0,9}-\d{4}-\d{3,})?\s*[.。!！?？]?\s*$",
    re.IGNORECASE,
)
# Longest words first: 基本满意 and 不满意 both end in 满意.
_WORDS = (("非常不满意", 1), ("很不满意", 1), ("非常满意", 5), ("基本满意", 3), ("不满意", 1),
          ("满意", 5))  # fmt: skip
_SCORE = re.compile(r"^\s*([1-5])(?!\d)\s*(?:分|星)?[\s,，.。:：;；!！-]*(.*)$", re.DOTALL)


@dataclass(frozen=True)
class StatusQuery:
    """A status query, for one ticket (``number``, upper-cased) or all open ones."""

    number: str | None = None


@dataclass(frozen=True)
class SurveyReply:
    """A survey answer: ``score`` 1-5 and the free text after it ("" for none)."""

    score: int
    comment: str = ""

    @property
    def low(self) -> bool:
        """Whether the resident is unhappy (score at or under :data:`LOW_SCORE`)."""
        return self.score <= LOW_SCORE


def parse_status_query(text: str) -> StatusQuery | None:
    """The status query ``text`` is, or ``None``."""
    match = _STATUS.match(unicodedata.normalize("NFKC", text))
    if match is None:
        return None
    return StatusQuery(number=match.group(1).upper() if match.group(1) else None)


def parse_survey_reply(text: str) -> SurveyReply | None:
    """The survey answer ``text`` starts with, or ``None`` (free text alone)."""
    text = unicodedata.normalize("NFKC", text).strip()
    for word, score in _WORDS:
        if text.startswith(word):
            return SurveyReply(score, text[len(word) :].strip(" ,，.。:：;；!！"))
    match = _SCORE.match(text)
    if match is None:
        return None
    return SurveyReply(int(match.group(1)), match.group(2).strip())
