"""Rule-based classification of a complaint's text into the taxonomy's codes.

Rules decide and explain themselves: a result names every rule that fired. A rule fires
when any of its keywords occurs in the case-folded text and none of its ``unless`` keywords
does: Chinese keywords are substrings (no word segmentation needed); ASCII keywords match
whole words only, so "bin" does not fire inside "cabinet". A rule's weight is that of its
distinct matched keywords (characters for Chinese, two per English word); in a text of
several lines the first line is the subject and its keywords count three times.

- Topic rules (with a sub-topic) compete on weight, so a specific keyword (消防通道, "fire
  lane") outweighs a general one it contains (消防, "fire"); ties go to the topic mentioned
  first. The sub-topic brings its category, department and scope.
- Remit rules (a ``scope`` and/or ``department``, no sub-topic) compete on weight too: the
  heaviest places the work: scope 1 (property service) keeps the topic's department, 2
  goes to the developer, 3 to an outside authority (三类).
- Relevance: anchor rules (``validity = "valid"``, no sub-topic: a home, an estate, its
  management, its developer) against unrelated rules (``validity = "invalid"``, no
  sub-topic: wages, schools, hospitals, tests, abuse), see :func:`_relevance`. An unrelated
  text is ``invalid``, sub-topic fallback, with the confidence of that judgement, which
  is below the review threshold when the evidence is thin: the desk decides.
- Urgency: emergency rules against calming rules (``urgency = "normal"``: a pattern, a
  hypothetical, a past incident), the heavier side wins; a confidently unrelated text is
  never an emergency, and an emergency keeps a doubtfully unrelated text valid.
- Level rules add: the highest level of the rules that fired.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from plaint.pipeline.keywords import KeywordIndex

__all__ = ["Classification", "Rule", "Taxonomy", "classify"]

# Confidence figures for the rule engine, on a 0..1 scale.
_CONFIDENCE_NO_RULE = 0.2
# Characters of matched keywords: two Chinese characters (电梯) count as one solid hit.
_SCORE_PER_HIT = 2
_CONFIDENCE_ONE_HIT = 0.6
_CONFIDENCE_PER_EXTRA_HIT = 0.1
_CONFIDENCE_MAX = 0.95
_CONFIDENCE_CONTESTED_PENALTY = 0.2
_CONFIDENCE_UNRELATED = 0.4  # unrelated keywords outweigh the anchors by one hit
# An unrelated text this sure is nobody's emergency; below it an emergency keeps the text.
_CONFIDENT_UNRELATED = 0.6
_SUBJECT_EXTRA = 2  # a subject line's keywords count this many times more
# ...and a remit rule's many times more: the subject names whom the complaint is about
# (开发商收取…, …物业强行…), the body of a long letter names every party it passes by (the
# government it is addressed to, the developer who appointed the company). Measured on our
# dev rows of real text: 2 → dept macro-F1 0.70, 4 → 0.75, 10 → 0.77, 15 and more → 0.77.
_SUBJECT_REMIT_EXTRA = 10
# A message this long (CJK characters, two per other word) that names no home, estate or
# party of the property world is about something else, whatever topic words it contains
# (a question about a motorway's verges, a school's plans). 80 let such questions through on
# our dev rows of real text; 30 takes short written complaints that name no place.
_LONG_TEXT = 60
_NON_CJK_WORD = re.compile(r"[^\W\u2e80-\u9fff\uac00-\ud7af]+")
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af]")
_MIN_VALID_LETTERS = 2  # distinct letters (Chinese characters included)


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
class Taxonomy:
    """Sub-topics (code -> category, department, scope) and the rules that pick them.

    The rules' patterns are compiled once, when the taxonomy is built.
    """

    sub_topics: Mapping[str, tuple[str, str, int]]
    rules: tuple[Rule, ...]
    fallback_sub_topic: str
    _index: KeywordIndex = field(init=False, repr=False, compare=False)
    _anchored: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lists = [words for rule in self.rules for words in (rule.keywords, rule.unless)]
        object.__setattr__(self, "_index", KeywordIndex(lists))
        anchored = any(r.validity == "valid" and r.sub_topic is None for r in self.rules)
        object.__setattr__(self, "_anchored", anchored)


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
    topic_rules = _ranked(fired, lambda rule: rule.sub_topic is not None)
    if topic_rules:
        best, (count, _) = topic_rules[0]
        sub_topic = best.sub_topic or taxonomy.fallback_sub_topic
        confidence = _topic_confidence(count, topic_rules, key=lambda r: r.sub_topic)
    else:
        best = None
        sub_topic = taxonomy.fallback_sub_topic
        confidence = _CONFIDENCE_NO_RULE
    validity, relevance = _relevance(text, fired, best, anchored=taxonomy._anchored)
    confidently_unrelated = relevance is not None and relevance >= _CONFIDENT_UNRELATED
    urgency = _urgency(fired, confidently_unrelated=confidently_unrelated)
    if urgency == "emergency" and relevance is not None:
        validity, relevance = "valid", None  # a danger under way is nobody's to dismiss
    if relevance is not None:
        sub_topic = taxonomy.fallback_sub_topic  # unrelated: nobody's topic, the desk's
    category, department, scope = taxonomy.sub_topics[sub_topic]
    place = _ranked(fired, _is_scope_rule) if validity == "valid" else []
    if place and place[0][0].scope != 1:
        winner, (weight, _) = place[0]
        department = winner.department or department
        scope = winner.scope or scope
        confidence = max(confidence, _topic_confidence(weight, place, key=lambda r: r.scope))
    rules = [rule for rule, _ in fired]
    return Classification(
        category=category,
        sub_topic=sub_topic,
        department=department,
        scope=scope,
        level=max([rule.level for rule in rules if rule.level is not None], default=1),
        urgency=urgency,
        validity=validity,
        confidence=round(relevance if relevance is not None else confidence, 2),
        rules=tuple(rule.name for rule in rules),
    )


def _urgency(fired: list[tuple[Rule, tuple[int, int]]], *, confidently_unrelated: bool) -> str:
    """``emergency`` when the emergency rules' keywords outweigh the calming ones (rules
    with urgency ``normal``: a pattern, a hypothetical, a past incident), unless the text
    was judged unrelated with confidence."""
    urgent = sum(hits[0] for rule, hits in fired if rule.urgency == "emergency")
    calm = sum(hits[0] for rule, hits in fired if rule.urgency == "normal")
    return "emergency" if urgent > calm and not confidently_unrelated else "normal"


def _is_scope_rule(rule: Rule) -> bool:
    """A rule that says whose remit a text is in (department or scope, no sub-topic)."""
    return rule.sub_topic is None and (rule.scope is not None or rule.department is not None)


def _ranked(
    fired: list[tuple[Rule, tuple[int, int]]], keep: Callable[[Rule], bool]
) -> list[tuple[Rule, tuple[int, int]]]:
    """The fired rules ``keep`` accepts, heaviest first, ties to the first mentioned."""
    return sorted(
        ((rule, hits) for rule, hits in fired if keep(rule)),
        key=lambda item: (-item[1][0], item[1][1]),
    )


def _fire(folded: str, taxonomy: Taxonomy) -> list[tuple[Rule, tuple[int, int]]]:
    """The rules that fire on ``folded``, in table order, with their (weight, first position).

    In a text of several lines the first line is the subject: its keywords count three
    times, so the topic it names usually stands out of a long letter; unless the body
    begins with it (a subject a mail client cut from the body says nothing more).
    """
    subject, _, rest = folded.partition("\n")
    if not rest.strip() or rest.lstrip().startswith(subject.strip()):
        subject = ""  # one line, or a subject cut from the body: nothing to weigh twice
    found = taxonomy._index.scan(folded)
    fired = []
    for number, rule in enumerate(taxonomy.rules):
        keywords, unless = found[2 * number], found[2 * number + 1]
        if keywords is None or unless is not None:
            continue
        weight = keywords.weight()
        if subject:
            extra = _SUBJECT_REMIT_EXTRA if _is_scope_rule(rule) else _SUBJECT_EXTRA
            weight += extra * keywords.weight(before=len(subject))
        fired.append((rule, (weight, keywords.position(len(folded) + 1))))
    return fired


def _topic_confidence(
    count: int, ranked: list[tuple[Rule, tuple[int, int]]], *, key: Callable[[Rule], object]
) -> float:
    """Confidence of the heaviest of ``ranked``: more keyword weight, more confidence; a
    rival of equal weight that says something else (``key`` differs) lowers it."""
    extra_hits = max(count - _SCORE_PER_HIT, 0) / _SCORE_PER_HIT
    confidence = _CONFIDENCE_ONE_HIT + _CONFIDENCE_PER_EXTRA_HIT * extra_hits
    first = key(ranked[0][0])
    rivals = [r for r, (c, _) in ranked[1:] if c == count and key(r) != first]
    if rivals:
        confidence -= _CONFIDENCE_CONTESTED_PENALTY
    return min(confidence, _CONFIDENCE_MAX)


def _length(text: str) -> int:
    """How long ``text`` reads: one per CJK character, two per other word."""
    return len(_CJK.findall(text)) + _SCORE_PER_HIT * len(_NON_CJK_WORD.findall(text))


def _relevance(
    text: str, fired: list[tuple[Rule, tuple[int, int]]], best: Rule | None, *, anchored: bool
) -> tuple[str, float | None]:
    """Return the validity and, when the text is judged unrelated, the confidence of that
    judgement (``None``: the topic's confidence stands).

    Fewer than two distinct letters: invalid. The winning topic rule's own validity decides
    next (advertising). Then relevance: ``anchor`` rules (validity ``valid``, no sub-topic:
    the text is about a home, an estate, its management or its developer) against
    ``unrelated`` rules (validity ``invalid``, no sub-topic: wages, schools, hospitals…),
    by keyword weight; the unrelated side must weigh more. With anchors in the taxonomy, a
    text that fires no anchor and no topic (or is long and fires no anchor) is unrelated at
    a confidence below the review threshold, so the desk decides; without anchors such a
    text stays valid.
    """
    if not _has_letters(text, _MIN_VALID_LETTERS):
        return "invalid", None
    if best is not None and best.validity is not None:
        return best.validity, None
    anchor = sum(h[0] for r, h in fired if r.sub_topic is None and r.validity == "valid")
    unrelated = sum(h[0] for r, h in fired if r.sub_topic is None and r.validity == "invalid")
    if unrelated > anchor:
        margin = (unrelated - anchor) / _SCORE_PER_HIT
        confidence = _CONFIDENCE_UNRELATED + _CONFIDENCE_PER_EXTRA_HIT * margin
        if anchor or best is not None:
            confidence -= _CONFIDENCE_CONTESTED_PENALTY
        return "invalid", min(confidence, _CONFIDENCE_MAX)
    if anchored and not anchor and (best is None or _length(text) >= _LONG_TEXT):
        return "invalid", _CONFIDENCE_NO_RULE
    return "valid", None


def _has_letters(text: str, wanted: int) -> bool:
    """Whether ``text`` holds at least ``wanted`` distinct letters (stops once it does)."""
    seen: set[str] = set()
    for char in text:
        if char.isalpha():
            seen.add(char)
            if len(seen) >= wanted:
                return True
    return False
