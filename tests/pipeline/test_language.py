"""Language detection of a resident's message (zh/en templates depend on it)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaint.pipeline.language import detect_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("3号楼电梯困人了，快来人！", "zh"),
        ("B座1502 WiFi 密码忘了，物业能帮忙重置吗", "zh"),  # Latin unit numbers and names
        ("The lift in building 3 has been broken since Monday.", "en"),
        ("Lift broken again\nThe lift in building 4 has been broken since Monday.", "en"),
        ("エレベーターが止まっています", "ja"),
        ("엘리베이터가 고장났어요", "ko"),
        ("Der Aufzug ist kaputt", "und"),  # Latin, but no English
        ("", "und"),
        ("12345 !!!", "und"),
    ],
)
def test_the_script_and_english_words_name_the_language(text: str, language: str) -> None:
    assert detect_language(text) == language


@given(st.text())
def test_any_text_gets_one_of_the_known_codes(text: str) -> None:
    assert detect_language(text) in {"zh", "ja", "ko", "en", "und"}
