"""CSV tables as Excel saves them in China: encodings, header names, line numbers."""

from __future__ import annotations

import pytest

from plaint.errors import ConfigError
from plaint.pipeline.csvtable import Columns, decode_text, header_key, parse_table

COLUMNS = Columns(
    aliases={"name": "name", "姓名": "name", "phone": "phone", "电话": "phone",
             "email": "email", "邮箱": "email"},
    required=(("name",), ("phone", "email")),
    hint="name and phone or email",
)  # fmt: skip
TEXT = "姓名,电话,备注\r\n王芳,13800138000,三号楼\r\n李雷,13900139000\r\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_utf8_with_or_without_bom_and_gbk_read_alike(encoding: str) -> None:
    table = parse_table(TEXT.encode(encoding), columns=COLUMNS, where="f.csv")
    assert table.rows == ({"name": "王芳", "phone": "13800138000"},
                          {"name": "李雷", "phone": "13900139000"})  # fmt: skip
    assert table.lines == (2, 3)


@pytest.mark.parametrize(
    ("raw", "key"),
    [(" 姓名 ", "姓名"), ("Ｅｍａｉｌ", "email"), ("\ufeffName", "name"), ("PHONE", "phone")],
)
def test_header_key_folds_width_case_spaces_and_bom(raw: str, key: str) -> None:
    assert header_key(raw) == key


def test_a_quoted_cell_over_two_lines_keeps_the_next_rows_line_number() -> None:
    text = 'name,email\nA,"a@x.cn"\n"B\nsecond line",b@x.cn\nC,c@x.cn\n\nD,d@x.cn\n'
    table = parse_table(text.encode(), columns=COLUMNS, where="f.csv")
    assert [r["name"] for r in table.rows] == ["A", "B\nsecond line", "C", "", "D"]
    assert table.lines == (2, 3, 5, 6, 7)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the header needs name and phone or email"),
        (b"name,community\nA,X\n", "the header needs"),
        ("姓名,name,电话\n".encode(), "two columns give the name"),
        (b"name,phone\n\xff\xfe\x80\x81", "neither UTF-8 nor GBK"),
        (b'name,phone\nA,1\n"B,2\n', r"not a CSV file \(line 3\)"),
        (b'name,phone\n"A"x,1\n', r"not a CSV file \(line 2\)"),
    ],
)
def test_unusable_files_raise_config_error_naming_the_file(data: bytes, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        parse_table(data, columns=COLUMNS, where="staff.csv")
    assert str(caught.value).startswith("staff.csv: ")


def test_decode_prefers_utf8() -> None:
    assert decode_text("电梯".encode(), where="x") == "电梯"
    assert decode_text("电梯".encode("gbk"), where="x") == "电梯"
