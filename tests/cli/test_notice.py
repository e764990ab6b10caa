"""``plaint notice share`` and ``plaint notice revoke`` on SQLite and PostgreSQL: the link
is printed once with ``PLAINT_PUBLIC_URL`` (only its hash is stored), a revoked link is
marked so, and a community nobody lives in or a department member is refused in one line."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plaint.cli import main
from plaint.models import NoticeLink, Resident
from plaint.service.directory import token_digest
from tests.web.test_desk import STAFF


@pytest.fixture
def environment(db_url: str, sessions: sessionmaker[Session], tmp_path: Path,
                monkeypatch: pytest.MonkeyPatch) -> sessionmaker[Session]:  # fmt: skip
    config = tmp_path / "config.toml"
    config.write_text(STAFF, "utf-8")
    monkeypatch.setenv("PLAINT_DATABASE_URL", db_url)
    monkeypatch.setenv("PLAINT_CONFIG", str(config))
    monkeypatch.setenv("PLAINT_PUBLIC_URL", "https://plaint.example.com/")
    with sessions.begin() as session:
        session.add(Resident(phone="+8613800138000", community="翠湖花园",
                             created_at=datetime.now(UTC)))  # fmt: skip
    return sessions


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_share_prints_the_link_once_and_revoke_stops_it(
    environment: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "notice", "share", "--community", "翠湖花园", "--month",
                         "2026-11", "--days", "7", "--by", "desk.wu", "--json")  # fmt: skip
    assert (code, err) == (0, "")
    shown = json.loads(out)
    prefix = "https://plaint.example.com/public/notices/"
    assert shown["url"].startswith(prefix)
    token = shown["url"].removeprefix(prefix)
    assert len(token) >= 43  # 32 random bytes, base64url
    with environment() as session:
        link = session.scalars(select(NoticeLink)).one()
    assert (link.id, link.token_hash, link.month, link.created_by) == (
        shown["id"], token_digest(token), "2026-11", "desk.wu")  # fmt: skip
    assert timedelta(days=7) - (link.expires_at - link.created_at) == timedelta(0)
    code, out, err = run(capsys, "notice", "revoke", str(link.id), "--by", "desk.wu")
    assert (code, err) == (0, "")
    assert out == f"link {link.id} to 翠湖花园 2026-11 revoked\n"
    with environment() as session:
        assert session.scalars(select(NoticeLink)).one().revoked_at is not None


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--community", "无人小区", "--by", "desk.wu"], "no resident is registered in community"),
        (["--community", "翠湖花园", "--by", "li.clean"], "role member may not share"),
        (["--community", "翠湖花园", "--by", "desk.wu", "--days", "0"], "1 to 366 days"),
    ],
)  # fmt: skip
def test_a_refused_share_is_one_line(
    environment: sessionmaker[Session], capsys: pytest.CaptureFixture[str], args: list[str],
    expected: str,
) -> None:  # fmt: skip
    code, out, err = run(capsys, "notice", "share", "--month", "2026-11", *args)
    assert (code, out) == (2, "")
    assert err.startswith("plaint: error: ")
    assert expected in err
    assert len(err.splitlines()) == 1
    with environment() as session:
        assert session.scalars(select(NoticeLink)).all() == []
