"""Rule-based classification of a complaint's text into the taxonomy's codes.

Rules decide and explain themselves: a result names every rule that fired. A rule fires
when any of its keywords occurs in the case-folded text and none of its ``unless`` keywords
does: Chinese keywords are substrings (no word segmentation needed); ASCII keywords match
whole words only, so "bin" does not fire inside "cabinet". Topic rules compete on the weight
of their distinct matched keywords (characters for Chinese, two per English word), so a
specific keyword (消防通道, "fire lane") outweighs a general one it contains (消防, "fire");
ties go to the topic mentioned first. Urgency, validity and level rules add to the result;
a rule may also set ``department`` and ``scope`` (work for an outside authority, 三类),
overriding the sub-topic's. Validity: a text with fewer than two distinct letters is
invalid; the winning topic rule's own ``validity`` decides next (advertising that mentions a
topic); a rule with no sub-topic marks a text invalid only when no topic rule fired.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["Classification", "Rule", "Taxonomy", "classify"]

# Confidence figures for the rule engine, on a 0..1 scale.
_CONFIDENCE_NO_RULE = 0.2
# Characters of matched keywords: two Chinese characters (电梯) count as one solid hit.
_SCORE_PER_HIT = 2
_CONFIDENCE_ONE_HIT = 0.6
_CONFIDENCE_PER_EXTRA_HIT = 0.1
_CONFIDENCE_MAX = 0.95
_CONFIDENCE_CONTESTED_PENALTY = 0.2
_MIN_VALID_LETTERS = 2  # distinct letters (Chinese characters included)
# An ASCII word as the keyword matcher sees it: a run that its boundaries cannot split.
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Rule:
    """Keywords (already case-folded) and the codes they imply; ``None`` implies nothing.

    ``unless`` keywords (case-folded, matched like ``keywords``) stop the rule firing.
    """

    name: str
    keywords: tuple[str, ...]
    sub_topic: str | None = None
    urgency: str | None = None
    validity: str | None = None
    level: int | None = None
    department: str | None = None
    scope: int | None = None
    unless: tuple[str, ...] = ()


@dataclass(frozen=True)
class _CompiledRule:
    rule: Rule
    # A pre-filter: each Chinese keyword's first two characters (or its only one), each
    # ASCII keyword's first word. A text holding none of them as a substring (Chinese) or
    # a whole word (ASCII) cannot fire the rule, so its pattern is not run.
    prefixes: frozenset[str]
    pattern: re.Pattern[str]
    unless: re.Pattern[str] | None


@dataclass(frozen=True)
class Taxonomy:
    """Sub-topics (code -> category, department, scope) and the rules that pick them.

    The rules' patterns are compiled once, when the taxonomy is built.
    """

    sub_topics: Mapping[str, tuple[str, str, int]]
    rules: tuple[Rule, ...]
    fallback_sub_topic: str
    _compiled: tuple[_CompiledRule, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_compiled", tuple(_compile(rule) for rule in self.rules))


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
    fired = _fire(folded, taxonomy)
    topic_rules = sorted(
        ((rule, hits) for rule, hits in fired if rule.sub_topic is not None),
        key=lambda item: (-item[1][0], item[1][1]),
    )
    if topic_rules:
        best, (count, _) = topic_rules[0]
        sub_topic = best.sub_topic or taxonomy.fallback_sub_topic
        confidence = _topic_confidence(count, topic_rules)
    else:
        best = None
        sub_topic = taxonomy.fallback_sub_topic
        confidence = _CONFIDENCE_NO_RULE
    category, department, scope = taxonomy.sub_topics[sub_topic]
    rules = [rule for rule, _ in fired]
    return Classification(
        category=category,
        sub_topic=sub_topic,
        department=next((r.department for r in rules if r.department is not None), department),
        scope=next((r.scope for r in rules if r.scope is not None), scope),
        level=max([rule.level for rule in rules if rule.level is not None], default=1),
        urgency="emergency" if any(r.urgency == "emergency" for r in rules) else "normal",
        validity=_validity(text, rules, best),
        confidence=round(confidence, 2),
        rules=tuple(rule.name for rule in rules),
    )


def _fire(folded: str, taxonomy: Taxonomy) -> list[tuple[Rule, tuple[int, int]]]:
    """The rules that fire on ``folded``, in table order, with their (weight, first position)."""
    grams = set(folded)
    grams.update(map(operator.add, folded, folded[1:]))
    grams.update(_WORD.findall(folded))
    fired = []
    for compiled in taxonomy._compiled:
        if compiled.prefixes.isdisjoint(grams) or not compiled.pattern.search(folded):
            continue
        if not (compiled.unless and compiled.unless.search(folded)):
            fired.append((compiled.rule, _hits(compiled.pattern, folded)))
    return fired


def _compile(rule: Rule) -> _CompiledRule:
    keywords = [k for k in rule.keywords if k]
    return _CompiledRule(
        rule=rule,
        prefixes=frozenset(map(_prefix, keywords)),
        pattern=_alternation(keywords),
        unless=_alternation(rule.unless) if rule.unless else None,
    )


def _prefix(keyword: str) -> str:
    word = _WORD.match(keyword) if keyword.isascii() else None
    return word.group() if word else keyword[:2]


def _alternation(keywords: tuple[str, ...] | list[str]) -> re.Pattern[str]:
    """One alternation, longest keywords first so the longest match is taken; a pattern
    that never matches when there are no keywords."""
    ordered = sorted((k for k in keywords if k), key=len, reverse=True)
    return re.compile("|".join(_keyword_pattern(k) for k in ordered) or "(?!)")


def _keyword_pattern(keyword: str) -> str:
    if not keyword.isascii():
        return re.escape(keyword)
    # The word-boundary look-behind follows the first character, so the pattern starts
    # with a literal and the regex engine can skip ahead to candidate positions.
    first = re.escape(keyword[0])
    return rf"{first}(?<![a-z0-9]{first}){re.escape(keyword[1:])}(?![a-z0-9])"


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


def _validity(text: str, fired: list[Rule], best: Rule | None) -> str:
    if len({char for char in text if char.isalpha()}) < _MIN_VALID_LETTERS:
        return "invalid"
    if best is not None:
        return best.validity or "valid"
    return "invalid" if any(rule.validity == "invalid" for rule in fired) else "valid"
