from __future__ import annotations

import pytest

from plaint.pipeline.normalise import complaint_text, strip_quoted


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("水管漏了\n\n> 原来的回复\n> 第二行", "水管漏了"),
        (
            "still leaking\n\nOn Mon, 3 Nov 2026 at 10:00, Desk <desk@x> wrote:\n> ok",
            "still leaking",
        ),
        ("还在漏\n\n在 2026年11月3日 10:00，客服 写道：\n之前的内容", "还在漏"),
        ("还在漏\n-----原始邮件-----\n发件人: x", "还在漏"),
        ("lift broken\n-- \nJohn\n555-1234", "lift broken"),
        ("电梯坏了\n发自我的iPhone", "电梯坏了"),
    ],
)
def test_strip_quoted_keeps_only_the_new_text(body: str, expected: str) -> None:
    assert strip_quoted(body) == expected


def test_complaint_text_joins_subject_and_body_and_folds_space() -> None:
    text = complaint_text(subject="  电梯  坏了 ", body="三号楼\u3000\u3000困人\n\n\n\n请快来")
    assert text == "电梯 坏了\n三号楼 困人\n\n请快来"


def test_complaint_text_normalises_full_width_forms() -> None:
    assert complaint_text(subject="ＡＢＣ１２３", body="") == "ABC123"
