"""Finding many keyword lists in a text in one pass, for the rule engine.

Each list behaves as if its keywords were one regular-expression alternation, longest
first, scanned left to right without overlaps (``re.finditer``): at the leftmost place
where any of its keywords starts, the longest of them is taken, and the scan resumes after
it. Non-ASCII keywords (Chinese) are plain substrings; ASCII keywords match whole words
only (a letter or digit may not touch either end), so "bin" is not found in "cabinet".

Instead of one scan per list, the text is read once: every place where a non-ASCII keyword
of any list starts is found through a dictionary of keywords keyed by their first
character, and each list's non-overlapping scan is then replayed over those places. ASCII
keywords (rare in Chinese text) keep one compiled alternation per list, run only when the
text holds one of the list's first words.
"""

from __future__ import annotations

import itertools
import operator
import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Found", "KeywordIndex"]

# An ASCII word as the keyword matcher sees it: a run that its boundaries cannot split.
WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Found:
    """The distinct keywords of one list found in a text: keyword -> first position."""

    first: dict[str, int]

    def weight(self, *, before: int | None = None) -> int:
        """Sum of the weights of the distinct keywords found (starting before ``before``)."""
        return sum(
            keyword_weight(k) for k, pos in self.first.items() if before is None or pos < before
        )

    def position(self, default: int) -> int:
        """The position of the first keyword found, or ``default``."""
        return min(self.first.values(), default=default)


def keyword_weight(keyword: str) -> int:
    """A keyword's weight: its characters for Chinese, two per word for ASCII, so a
    two-character Chinese word and one English word weigh the same."""
    if keyword.isascii():
        return 2 * len(keyword.split())
    return len(keyword)


class KeywordIndex:
    """Keyword lists (already case-folded) compiled once; :meth:`scan` finds them all."""

    def __init__(self, lists: Sequence[Sequence[str]]) -> None:
        self._size = len(lists)
        self._owners: dict[str, list[int]] = {}  # non-ASCII keyword -> lists holding it
        lengths: dict[str, set[int]] = {}
        self._ascii: list[tuple[int, frozenset[str] | None, re.Pattern[str]]] = []
        for index, keywords in enumerate(lists):
            words = sorted({k for k in keywords if k and k.isascii()}, key=len, reverse=True)
            for keyword in {k for k in keywords if k and not k.isascii()}:
                self._owners.setdefault(keyword, []).append(index)
                if len(keyword) > 1:
                    lengths.setdefault(keyword[:2], set()).add(len(keyword))
            if words:
                pattern = re.compile("|".join(map(_ascii_pattern, words)))
                self._ascii.append((index, _first_words(words), pattern))
        # The lengths of the keywords of two characters or more by their first two, longest
        # first; a pattern for the one-character keywords.
        self._lengths = {c: sorted(ls, reverse=True) for c, ls in lengths.items()}
        singles = "".join(sorted(re.escape(k) for k in self._owners if len(k) == 1))
        self._singles = re.compile(f"[{singles}]") if singles else None

    def scan(self, folded: str) -> list[Found | None]:
        """For each list, in order, what it found in ``folded`` (``None``: nothing)."""
        places: list[list[tuple[int, int, str]]] = [[] for _ in range(self._size)]
        owners = self._owners
        # Every place where a keyword of two characters or more may start, by its first
        # two characters (one dictionary look-up each, outside the interpreter's loop);
        # then the one-character keywords.
        starts = list(map(self._lengths.get, map(operator.add, folded, folded[1:])))
        for at in itertools.compress(itertools.count(), starts):
            for length in starts[at] or ():  # longest first
                keyword = folded[at : at + length]
                for index in owners.get(keyword, ()):
                    places[index].append((at, -length, keyword))
        if self._singles is not None:
            for match in self._singles.finditer(folded):
                for index in owners[match.group()]:
                    places[index].append((match.start(), -1, match.group()))
        found: list[Found | None] = [_replay(p) if p else None for p in places]
        if self._ascii:
            words = set(WORD.findall(folded))
            for index, firsts, pattern in self._ascii:
                if firsts is not None and firsts.isdisjoint(words):
                    continue
                hits: dict[str, int] = {}
                for match in pattern.finditer(folded):
                    hits.setdefault(match.group(), match.start())
                if hits:
                    previous = found[index]
                    found[index] = Found({**hits, **(previous.first if previous else {})})
        return found


def _replay(places: list[tuple[int, int, str]]) -> Found:
    """One list's non-overlapping scan over the places its keywords start (position,
    minus length, keyword): by position, the longest first at each, the first keyword at a
    place is taken and those it overlaps are skipped."""
    first: dict[str, int] = {}
    end = 0
    for at, _, keyword in sorted(places):
        if at >= end:
            first.setdefault(keyword, at)
            end = at + len(keyword)
    return Found(first)


def _first_words(keywords: list[str]) -> frozenset[str] | None:
    """Each keyword's first word: a text holding none of them cannot match; ``None`` when
    a keyword does not begin with a word (it is always tried)."""
    firsts = [WORD.match(keyword) for keyword in keywords]
    if not all(firsts):
        return None
    return frozenset(match.group() for match in firsts if match)


def _ascii_pattern(keyword: str) -> str:
    # The word-boundary look-behind follows the first character, so the pattern starts
    # with a literal and the regex engine can skip ahead to candidate positions.
    first = re.escape(keyword[0])
    return rf"{first}(?<![a-z0-9]{first}){re.escape(keyword[1:])}(?![a-z0-9])"
