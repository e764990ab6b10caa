"""The one-pass keyword scan finds what one regular-expression scan per list would."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from plaint.pipeline.keywords import KeywordIndex, keyword_weight

_CHINESE = st.text(alphabet="电梯故障物业费停车位小区", min_size=1, max_size=4)
_ENGLISH = st.sampled_from(["bin", "bins", "power", "power cut", "cut", "e-bike", "lift"])
_LISTS = st.lists(st.lists(_CHINESE | _ENGLISH, max_size=6), min_size=1, max_size=5)
_TEXT = st.text(alphabet="电梯故障物业费停车位小区 binpowercutlift-e\n", max_size=60)


def _by_regex(keywords: list[str], text: str) -> dict[str, int] | None:
    """The reference: one alternation, longest first; ASCII keywords as whole words."""
    words = sorted({k for k in keywords if k}, key=len, reverse=True)
    if not words:
        return None
    parts = [
        re.escape(k) if not k.isascii() else rf"(?<![a-z0-9]){re.escape(k)}(?![a-z0-9])"
        for k in words
    ]
    found: dict[str, int] = {}
    for match in re.finditer("|".join(parts), text):
        found.setdefault(match.group(), match.start())
    return found or None


@settings(max_examples=300, deadline=None)
@given(_LISTS, _TEXT)
def test_each_list_finds_what_its_own_regex_scan_finds(lists: list[list[str]], text: str) -> None:
    # ASCII and Chinese keywords never overlap in these texts, as in the shipped rules.
    found = KeywordIndex(lists).scan(text)
    for keywords, result in zip(lists, found, strict=True):
        assert (result.first if result else None) == _by_regex(keywords, text)


def test_a_longer_keyword_hides_the_shorter_one_it_starts_with() -> None:
    (found,) = KeywordIndex([["电梯", "电梯故障"]]).scan("电梯故障，电梯")
    assert found is not None
    assert found.first == {"电梯故障": 0, "电梯": 5}
    assert found.weight() == 6
    assert found.weight(before=5) == 4


def test_english_keywords_match_whole_words_and_weigh_two_per_word() -> None:
    (found,) = KeywordIndex([["bin", "power cut"]]).scan("the cabinet; a power cut")
    assert found is not None
    assert found.first == {"power cut": 15}
    assert keyword_weight("power cut") == 4


def test_nothing_found_is_none() -> None:
    assert KeywordIndex([["电梯"], []]).scan("物业") == [None, None]
