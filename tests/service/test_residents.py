"""The resident directory: key normalisation, the upsert, and ``plaint residents``."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from plaint.cli import main
from plaint.errors import MalformedMessageError, NotFoundError
from plaint.models import Resident
from plaint.service.residents import (
    ImportResult,
    find_resident,
    import_residents,
    normalise_email,
    normalise_language,
    normalise_phone,
)

NOW = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
HEADER = "name,phone,email,community,building,unit,language\n"


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+86 138 0013 8000", "CN", "+8613800138000"),
        ("13800138000", "CN", "+8613800138000"),
        ("0086-13800138000", "CN", "+8613800138000"),
        ("(010) 1234 5678", "CN", "+861012345678"),
        ("+852 9123 4567", "CN", "+85291234567"),
        ("(650) 253-0000", "US", "+16502530000"),
        ("+1 650 253 0000", "CN", "+16502530000"),
    ],
)
def test_normalise_phone_returns_e164(raw: str, region: str, expected: str) -> None:
    assert normalise_phone(raw, region=region) == expected


@pytest.mark.parametrize(
    "raw", ["", "abc", "12345", "1380013800", "12345678901", "138 0013 8000 ext 12"]
)
def test_normalise_phone_rejects_invalid_numbers(raw: str) -> None:
    with pytest.raises(MalformedMessageError) as caught:
        normalise_phone(raw)
    assert caught.value.reason == "bad_phone"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(" Li.Wei@Example.COM ", "li.wei@example.com"), ("a@b.cn", "a@b.cn")],
)
def test_normalise_email_lowercases_and_strips(raw: str, expected: str) -> None:
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "li.wei", "a@b", "a@@b.cn", "a@b@c.cn", "@b.cn", "a b@c.cn", "a@.cn", "a@b."]
)
def test_normalise_email_rejects_malformed_addresses(raw: str) -> None:
    with pytest.raises(MalformedMessageError) as caught:
        normalise_email(raw)
    assert caught.value.reason == "bad_email"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("", "zh"), ("zh", "zh"), ("en", "en"), ("zh-CN", "zh"), ("en_US", "en"), ("EN", "en"),
     ("中文", "zh")],
)  # fmt: skip
def test_normalise_language(raw: str, expected: str) -> None:
    assert normalise_language(raw) == expected


def test_normalise_language_rejects_unknown_languages() -> None:
    with pytest.raises(MalformedMessageError) as caught:
        normalise_language("fr")
    assert caught.value.reason == "bad_language"


def _row(**values: str) -> dict[str, str]:
    return {"name": "", "phone": "", "email": "", "community": "", "building": "", "unit": "",
            "language": "", **values}  # fmt: skip


def _import(sessions: Any, *rows: dict[str, str]) -> ImportResult:
    with sessions.begin() as session:
        result: ImportResult = import_residents(session, rows, now=NOW)
    return result


def _residents(sessions: Any) -> list[Resident]:
    with sessions() as session:
        return list(session.scalars(select(Resident).order_by(Resident.id)))


def test_import_upserts_by_phone_then_email(sessions: Any) -> None:
    first = _import(
        sessions,
        _row(name="王芳", phone="13800138000", community="阳光小区", building="3", unit="2-1201"),
        _row(name="Tom", email="Tom@Example.com", language="en-US"),
    )
    assert first == ImportResult(created=2, updated=0, unchanged=0, rejected=[])
    again = _import(
        sessions,
        _row(name="王芳", phone="+86 138 0013 8000", email="wf@example.cn", building="5"),
        _row(name="Tom", email="tom@example.com", language="en"),
    )
    assert again == ImportResult(created=0, updated=1, unchanged=1, rejected=[])
    wang, tom = _residents(sessions)
    assert (wang.phone, wang.email, wang.building, wang.unit) == (
        "+8613800138000", "wf@example.cn", "5", "2-1201")  # fmt: skip
    assert (wang.community, wang.language, wang.created_at) == ("阳光小区", "zh", NOW)
    assert (tom.phone, tom.email, tom.language) == (None, "tom@example.com", "en")


def test_import_rejects_bad_and_conflicting_rows_and_keeps_the_rest(sessions: Any) -> None:
    _import(sessions, _row(name="A", phone="13800138000"), _row(name="B", email="b@x.cn"))
    result = _import(
        sessions,
        _row(name="bad", phone="123", email="nope"),
        _row(name="both", phone="13800138000", email="b@x.cn"),
        _row(name="nokey"),
        _row(),
        _row(name="C", phone="13900139000", language="fr"),
        _row(name="D", phone="not a phone", email="d@x.cn"),
        _row(name="A2", phone="13800138000", email="a@x.cn"),
        _row(name="A3", phone="13800138000", email="other@x.cn"),
    )
    assert result.rejected == [
        (1, "bad_phone+bad_email"),
        (2, "phone_and_email_of_different_residents"),
        (3, "no_phone_or_email"),
        (5, "bad_language"),
        (8, "email_differs_from_resident"),
    ]
    assert (result.created, result.updated, result.unchanged) == (1, 1, 0)
    names = {r.name: (r.phone, r.email) for r in _residents(sessions)}
    assert names == {"A2": ("+8613800138000", "a@x.cn"), "B": (None, "b@x.cn"),
                     "D": (None, "d@x.cn")}  # fmt: skip


def test_find_resident_by_phone_or_email(sessions: Any) -> None:
    _import(sessions, _row(name="A", phone="13800138000", email="a@x.cn"))
    with sessions() as session:
        assert find_resident(session, "+86 138-0013-8000").name == "A"
        assert find_resident(session, "A@X.CN").name == "A"
        with pytest.raises(NotFoundError):
            find_resident(session, "13900139000")


# --- the command -----------------------------------------------------------------------


@pytest.fixture
def run(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str, str]]:
    """Run ``plaint ARGS`` against the test database; return (exit code, stdout, stderr)."""
    monkeypatch.setenv("PLAINT_DATABASE_URL", db_url)

    def invoke(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


def _csv(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "r.csv") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def test_cli_import_then_reimport_without_duplicates(
    run: Callable[..., tuple[int, str, str]], tmp_path: Path, db_url: str
) -> None:
    text = HEADER + "王芳,13800138000,,阳光小区,3,2-1201,zh-CN\nTom,,tom@x.com,阳光小区,5,,en\n"
    path = _csv(tmp_path, text, "utf-8-sig")
    summary = "2 created, 0 updated, 0 unchanged, 0 rejected\n"
    assert run("residents", "import", path) == (0, summary, "")
    changed = _csv(tmp_path, text.replace("2-1201", "2-1202"), name="r2.csv")
    code, out, _ = run("residents", "import", changed)
    assert (code, out) == (0, "0 created, 1 updated, 1 unchanged, 0 rejected\n")
    code, out, _ = run("residents", "show", "+8613800138000")
    assert code == 0
    assert "王芳" in out
    assert "2-1202" in out
    assert _count(db_url) == 2


def test_cli_reads_gbk_with_chinese_headers(
    run: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    text = "姓名,手机,邮箱,小区,楼栋,单元/房号,语言\r\n李雷,13900139000,,翠苑,7,1-301,中文\r\n"
    path = _csv(tmp_path, text, "gbk")
    code, out, _ = run("residents", "import", path)
    assert (code, out) == (0, "1 created, 0 updated, 0 unchanged, 0 rejected\n")
    code, out, _ = run("residents", "show", "13900139000")
    assert code == 0
    assert "李雷" in out
    assert "翠苑" in out


def test_cli_reports_rejected_lines_without_personal_data(
    run: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    _csv(tmp_path, HEADER + "A,13800138000,a@x.cn,,,,\n", name="seed.csv")
    assert run("residents", "import", str(tmp_path / "seed.csv"))[0] == 0
    rows = [
        "Good,13900139000,,,,,",
        "Bad,1390013,broken-mail,,,,",
        "Clash,13800138000,clash@x.cn,,,,",
    ]
    code, out, err = run("residents", "import", _csv(tmp_path, HEADER + "\n".join(rows) + "\n"))
    assert code == 1
    assert out == "1 created, 0 updated, 0 unchanged, 2 rejected\n"
    assert err.splitlines() == [
        "line 3: rejected: bad_phone+bad_email",
        "line 4: rejected: email_differs_from_resident",
    ]
    for private in ("1390013", "13800138000", "broken-mail", "clash@x.cn", "Bad", "Clash"):
        assert private not in out + err


def test_cli_import_json_summary_for_scripts(
    run: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    text = HEADER + "A,13800138000,,,,,\nB,123,,,,,\n"
    code, out, err = run("residents", "import", _csv(tmp_path, text), "--json")
    assert (code, err) == (1, "")
    assert json.loads(out) == {"created": 1, "updated": 0, "unchanged": 0,
                               "rejected": [{"line": 3, "reason": "bad_phone"}]}  # fmt: skip


@pytest.mark.parametrize(
    "content", [None, "", "foo,bar\n1,2\n", "name,community\nA,X\n", "phone,电话\n1,2\n"]
)
def test_cli_import_rejects_a_missing_file_or_a_bad_header(
    run: Callable[..., tuple[int, str, str]], tmp_path: Path, content: str | None
) -> None:
    path = str(tmp_path / "missing.csv") if content is None else _csv(tmp_path, content)
    code, out, err = run("residents", "import", path)
    assert (code, out) == (2, "")
    assert err.startswith("plaint: error: ")


def test_cli_show_unknown_or_malformed_key_exits_2(
    run: Callable[..., tuple[int, str, str]],
) -> None:
    assert run("residents", "show", "13800138000")[0] == 2
    code, _, err = run("residents", "show", "not-a-number")
    assert code == 2
    assert "not a phone number" in err


def _count(db_url: str) -> int:
    from plaint.models import create_db_engine

    engine = create_db_engine(db_url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(Resident)) or 0)
    finally:
        engine.dispose()
