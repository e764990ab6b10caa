"""SMS segments and keywords, as tables of plain values."""

from __future__ import annotations

import pytest

from plaint.pipeline.smstext import KeywordAction, keyword_action, segment_count


@pytest.mark.parametrize(
    ("body", "segments"),
    [
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),  # extension characters take two units
        ("€" * 81, 2),
        ("a" * 159 + "€", 2),  # 161 units: over a single segment
        ("您" * 70, 1),
        ("您" * 71, 2),
        ("您" * 100, 2),
        ("您" * 134, 2),
        ("您" * 135, 3),
        ("a" * 159 + "您", 3),  # one Chinese character makes it all UCS-2
        ("😀" * 35, 1),  # astral characters take two UCS-2 units
    ],
)
def test_segment_count(body: str, segments: int) -> None:
    assert segment_count(body) == segments


@pytest.mark.parametrize(
    ("body", "action"),
    [
        ("STOP", KeywordAction.STOP),
        (" stop. ", KeywordAction.STOP),
        ("Unsubscribe", KeywordAction.STOP),
        ("退订", KeywordAction.STOP),
        ("td", KeywordAction.STOP),
        ("START", KeywordAction.START),
        ("订阅！", KeywordAction.START),
        ("请不要再发短信，我要退订", None),
        ("电梯坏了 STOP", None),
        ("", None),
    ],
)
def test_keyword_action(body: str, action: KeywordAction | None) -> None:
    assert keyword_action(body) == action
