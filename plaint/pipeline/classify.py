"""Rule-based classification of a complaint's text into the taxonomy's codes.

Rules decide and explain themselves: a result names every rule that fired. A rule fires
when any of its keywords occurs in the case-folded text (Chinese needs no segmentation:
keywords are substrings). Topic rules compete: the rule with the most keyword hits wins,
ties going to the topic mentioned first. Urgency, validity and level rules add to the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Classification", "Rule", "Taxonomy", "classify"]

# Confidence figures for the rule engine, on a 0..1 scale.
_CONFIDENCE_NO_RULE = 0.2
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
    fired = [(rule, _hits(rule, folded)) for rule in taxonomy.rules]
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


def _hits(rule: Rule, folded: str) -> tuple[int, int]:
    """Return (how many keywords occur, position of the first occurrence or len+1)."""
    positions = [folded.find(k) for k in rule.keywords]
    found = [p for p in positions if p >= 0]
    return len(found), min(found, default=len(folded) + 1)


def _topic_confidence(count: int, ranked: list[tuple[Rule, tuple[int, int]]]) -> float:
    confidence = _CONFIDENCE_ONE_HIT + _CONFIDENCE_PER_EXTRA_HIT * (count - 1)
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
