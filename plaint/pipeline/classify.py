"""Rule-based classification of a complaint's text into the taxonomy's codes.

Rules decide and explain themselves: a result names every rule that fired. A rule fires
when any of its keywords occurs in the case-folded text: Chinese keywords are substrings
(no word segmentation needed); ASCII keywords match whole words only, so "bin" does not
fire inside "cabinet". Topic rules compete on the weight of their distinct matched
keywords (characters for Chinese, two per English word), so a specific keyword (消防通道,
"fire lane") outweighs a general one it contains (消防, "fire");
ties go to the topic mentioned first. Urgency, validity and level rules add to the result.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Classification", "Rule", "Taxonomy", "classify"]

# Confidence figures for the rule engine, on a 0..1 scale.
_CONFIDENCE_NO_RULE = 0.2
# Characters of matched keywords: two Chinese characters (电梯) count as one solid hit.
_SCORE_PER_HIT = 2
_CONFIDENCE_ONE_HIT = 0.6
_CONFIDENCE_PER_EXTRA_HIT = 0.1
_CONFIDENCE_MAX = 0.95
_CONFIDENCE_CONTESTED_PENALTY = 0.2
_MIN_VALID_CHARS = 2


@dataclass(frozen=True)
class Rule:
    """Keywords (already case-folded) and the codes they imply; ``None`` implies nothing."""

    name: str
    keywords: tuple[str, ...]
    sub_topic: str | None = None
    urgency: str | None = None
    validity: str | None = None
    level: int | None = None


@dataclass(frozen=True)
class Taxonomy:
    """Sub-topics (code -> category, department, scope) and the rules that pick them."""

    sub_topics: Mapping[str, tuple[str, str, int]]
    rules: tuple[Rule, ...]
    fallback_sub_topic: str


@dataclass(frozen=True)
class Classification:
    """The decision about one complaint, with a confidence in 0..1 and the rules that fired."""

    category: str
    sub_topic: str
    department: str
    scope: int
    level: int
    urgency: str
    validity: str
    confidence: float
    rules: tuple[str, ...]


def classify(text: str, *, taxonomy: Taxonomy) -> Classification:
    """Classify ``text``; never raises for any string, empty included."""
    folded = text.casefold()
    fired = [(rule, _hits(pattern, folded)) for rule, pattern in _compiled(taxonomy.rules)]
    fired = [(rule, hits) for rule, hits in fired if hits[0] > 0]
    topic_rules = sorted(
        ((rule, hits) for rule, hits in fired if rule.sub_topic is not None),
        key=lambda item: (-item[1][0], item[1][1]),
    )
    if topic_rules:
        best, (count, _) = topic_rules[0]
        sub_topic = best.sub_topic or taxonomy.fallback_sub_topic
        confidence = _topic_confidence(count, topic_rules)
    else:
        sub_topic = taxonomy.fallback_sub_topic
        confidence = _CONFIDENCE_NO_RULE
    category, department, scope = taxonomy.sub_topics[sub_topic]
    validity = _validity(text, fired, has_topic=bool(topic_rules))
    return Classification(
        category=category,
        sub_topic=sub_topic,
        department=department,
        scope=scope,
        level=max([rule.level for rule, _ in fired if rule.level is not None], default=1),
        urgency="emergency" if any(r.urgency == "emergency" for r, _ in fired) else "normal",
        validity=validity,
        confidence=round(confidence, 2),
        rules=tuple(rule.name for rule, _ in fired),
    )


def _keyword_pattern(keyword: str) -> str:
    escaped = re.escape(keyword)
    if keyword.isascii():
        return rf"(?<![a-z0-9]){escaped}(?![a-z0-9])"
    return escaped


@functools.lru_cache(maxsize=8)
def _compiled(rules: tuple[Rule, ...]) -> tuple[tuple[Rule, re.Pattern[str]], ...]:
    """One alternation per rule, longest keywords first so the longest match is taken."""
    return tuple(
        (
            rule,
            re.compile(
                "|".join(_keyword_pattern(k) for k in sorted(rule.keywords, key=len, reverse=True))
            ),
        )
        for rule in rules
    )


def _weight(keyword: str) -> int:
    """A keyword's weight: its characters for Chinese, two per word for ASCII, so a
    two-character Chinese word and one English word weigh the same."""
    if keyword.isascii():
        return _SCORE_PER_HIT * len(keyword.split())
    return len(keyword)


def _hits(pattern: re.Pattern[str], folded: str) -> tuple[int, int]:
    """Return (characters covered by the distinct keywords found, position of the first
    match or len+1); (0, len+1) when nothing matches."""
    found: dict[str, int] = {}
    for match in pattern.finditer(folded):
        found.setdefault(match.group(0), match.start())
    score = sum(_weight(keyword) for keyword in found)
    return score, min(found.values(), default=len(folded) + 1)


def _topic_confidence(count: int, ranked: list[tuple[Rule, tuple[int, int]]]) -> float:
    extra_hits = max(count - _SCORE_PER_HIT, 0) / _SCORE_PER_HIT
    confidence = _CONFIDENCE_ONE_HIT + _CONFIDENCE_PER_EXTRA_HIT * extra_hits
    rivals = [r for r, (c, _) in ranked[1:] if c == count and r.sub_topic != ranked[0][0].sub_topic]
    if rivals:
        confidence -= _CONFIDENCE_CONTESTED_PENALTY
    return min(confidence, _CONFIDENCE_MAX)


def _validity(text: str, fired: list[tuple[Rule, tuple[int, int]]], *, has_topic: bool) -> str:
    if len("".join(text.split())) < _MIN_VALID_CHARS:
        return "invalid"
    if not has_topic and any(rule.validity == "invalid" for rule, _ in fired):
        return "invalid"
    return "valid"
