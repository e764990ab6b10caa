"""The public notice (公示) through HTTP, on SQLite and PostgreSQL: the staff page and the
shared page show a community's figures and nothing personal; a share link made on the
page answers without signing in until it is revoked or expires (410), an unknown one is
404; every notice response is private (no-store, no referrer, not indexed); department
roles get the 404 page; the token never reaches a log."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plaint.config import Config
from plaint.models import NoticeLink
from plaint.service.directory import find_staff, token_digest
from plaint.service.notice_links import share_notice
from plaint.web.redact import redact
from tests.web.conftest import Clock, TestClient
from tests.web.pages.conftest import SECRET, csrf_of
from tests.web.pages.test_new_complaint import sign_in
from tests.web.test_desk import NOW, STAFF, Desk, open_desk

COMMUNITY = "翠湖花园"
MONTH = "2026-11"
PAGE = f"/notices/{quote(COMMUNITY)}/{MONTH}"
HEAD = """
[[staff]]
code = "chen.head"
name = "陈主管"
role = "department_head"
department = "cleaning"
"""
# Residents and texts nobody could mistake for a figure: none may appear in a notice.
RESIDENTS = [
    {"name": "欧阳娜娜", "phone": "13912345678", "email": "oyang.nana@example.org",
     "building": "7", "unit": "1502", "community": COMMUNITY,
     "text": "欧阳娜娜家1502室楼上漏水严重，请尽快处理", "sub_topic": "water_leak"},
    {"name": "司马相如", "phone": "13787654321", "email": "sima.xiangru@example.net",
     "building": "9", "unit": "0808", "community": COMMUNITY,
     "text": "司马相如反映楼道垃圾三天没人清运", "sub_topic": "garbage"},
    {"name": "诸葛明月", "phone": "13611112222", "email": "zhuge@example.com",
     "building": "2", "unit": "2201", "community": "碧水湾",
     "text": "诸葛明月投诉物业费收据有误"},
]  # fmt: skip
RESOLUTION = "已为欧阳娜娜（1502室，13912345678）更换水管"
PERSONAL = [
    *(r[key] for r in RESIDENTS for key in ("name", "email", "text")),
    "12345678", "87654321", "1502", "0808", "碧水湾", RESOLUTION, "TS-2026",
]  # fmt: skip
STAFF_DATA = ["吴客服", "钱经理", "李保洁", "desk.wu", "qian.pm", "li.clean"]
_LINK = re.compile(r'id="new-link" readonly size="90" value="([^"]+)"')
_SHEET = re.compile(r'<article class="sheet" id="notice">.*?</article>', re.S)


@dataclass
class Notices:
    desk: Desk
    clock: Clock
    public: TestClient
    numbers: list[str]


@pytest.fixture
def notices(sessions: sessionmaker[Session], make_config: Callable[..., Config]
            ) -> Iterator[Notices]:  # fmt: skip
    clock = Clock()
    clock.now = NOW  # the desk's Monday morning
    for desk in open_desk(sessions, make_config(STAFF + HEAD), clock=clock, secret_key=SECRET):
        numbers = []
        for resident in RESIDENTS:
            body = {k: v for k, v in resident.items() if k != "sub_topic"}
            if "sub_topic" in resident:
                body |= {"sub_topic": resident["sub_topic"]}
            numbers.append(desk.take(body))
        done = desk.post(f"/api/v1/tickets/{numbers[0]}/resolve", {"resolution": RESOLUTION},
                         as_="qian.pm")  # fmt: skip
        assert done.status_code == 200, done.text
        yield Notices(desk, clock, TestClient(desk.client.app), numbers)


def _private(response: httpx.Response) -> None:
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "noindex" in response.headers["x-robots-tag"]


def _no_personal_data(html: str) -> None:
    for value in PERSONAL:
        assert value not in html, value


def _share(notices: Notices, *, days: str = "30") -> tuple[httpx.Response, str | None]:
    page = notices.desk.client.get(PAGE)
    made = notices.desk.client.post(f"{PAGE}/share", data={"csrf": csrf_of(page.text),
                                                           "days": days})  # fmt: skip
    found = _LINK.search(made.text)
    return made, found.group(1) if found else None


def test_the_staff_page_shows_the_communitys_figures_and_nothing_personal(
    notices: Notices,
) -> None:
    sign_in(notices.desk, "desk.wu")
    page = notices.desk.client.get(PAGE)
    assert page.status_code == 200
    _private(page)
    _no_personal_data(page.text)
    [sheet] = _SHEET.findall(page.text)
    for value in STAFF_DATA:
        assert value not in sheet, value
    assert COMMUNITY in sheet
    assert 'id="nt-received">2<' in sheet  # the two tickets of the community, not the third
    assert "投诉处理情况公示" in sheet
    assert "2026年11月" in sheet
    assert "漏水" in sheet  # the sub-topic's name, not the complaint
    assert 'id="nav-notices"' in page.text
    listed = notices.desk.client.get("/notices", params={"month": MONTH})
    assert PAGE in listed.text
    assert COMMUNITY in listed.text
    assert "碧水湾" in listed.text


def test_a_shared_link_shows_the_notice_without_signing_in_until_revoked(
    notices: Notices, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sign_in(notices.desk, "qian.pm")
    made, url = _share(notices)
    assert made.status_code == 200
    assert url is not None
    _private(made)
    path = httpx.URL(url).path
    shared = notices.public.get(path)
    assert shared.status_code == 200
    _private(shared)
    _no_personal_data(shared.text)
    for value in STAFF_DATA:
        assert value not in shared.text, value
    assert COMMUNITY in shared.text
    assert "set-cookie" not in shared.headers
    english = notices.public.get(path, params={"lang": "en"})
    assert "Complaints by type" in english.text
    assert "投诉类型" not in english.text
    token = path.rsplit("/", 1)[1]
    with notices.desk.sessions() as session:
        [link] = session.scalars(select(NoticeLink)).all()
    assert (link.token_hash, link.community, link.month) == (token_digest(token), COMMUNITY, MONTH)
    assert link.expires_at == NOW + timedelta(days=30)
    page = notices.desk.client.get(PAGE)
    assert token not in page.text  # shown once, never again
    notices.desk.client.post(f"{PAGE}/revoke", data={"csrf": csrf_of(page.text),
                                                    "link": str(link.id)})  # fmt: skip
    gone = notices.public.get(path)
    assert gone.status_code == 410
    assert "此链接已失效" in gone.text
    _private(gone)
    # the test's own client (httpx) logs the URLs it asks for; plaint's lines must not
    # (the browser test reads uvicorn's access log)
    server_lines = [r.getMessage() for r in caplog.records if not r.name.startswith("httpx")]
    assert server_lines
    assert not any(token in line for line in server_lines)


def test_an_expired_link_is_gone_and_an_unknown_one_not_found(notices: Notices) -> None:
    with notices.desk.sessions.begin() as session:
        token, _ = share_notice(session, community=COMMUNITY, month=MONTH, days=1,
                                actor=find_staff(session, "desk.wu"), now=NOW)  # fmt: skip
    assert notices.public.get(f"/public/notices/{token}").status_code == 200
    notices.clock.now = NOW + timedelta(days=1)
    expired = notices.public.get(f"/public/notices/{token}", params={"lang": "en"})
    assert expired.status_code == 410
    assert "no longer works" in expired.text
    unknown = notices.public.get("/public/notices/" + "x" * 43)
    assert unknown.status_code == 404
    assert "没有这个公示" in unknown.text
    _private(unknown)


@pytest.mark.parametrize("code", ["li.clean", "chen.head", "zhao.fin"])
def test_department_roles_neither_see_nor_share_the_notice(notices: Notices, code: str) -> None:
    sign_in(notices.desk, code)
    page = notices.desk.client.get(PAGE)
    assert page.status_code == 404
    assert 'id="nav-notices"' not in page.text
    assert notices.desk.client.get("/notices").status_code == 404
    made, url = _share(notices)
    assert (made.status_code, url) == (404, None)
    with notices.desk.sessions() as session:
        assert session.scalars(select(NoticeLink)).all() == []


def test_a_share_without_its_form_token_or_with_bad_days_makes_no_link(notices: Notices) -> None:
    sign_in(notices.desk, "desk.wu")
    forged = notices.desk.client.post(f"{PAGE}/share", data={"days": "30"})
    assert forged.status_code == 403
    made, url = _share(notices, days="400")
    assert url is None
    assert "1 to 366 days" in made.text
    assert notices.desk.client.get(f"/notices/{quote('无人小区')}/{MONTH}").status_code == 404
    assert notices.desk.client.get(f"/notices/{quote(COMMUNITY)}/2026-13").status_code == 404
    with notices.desk.sessions() as session:
        assert session.scalars(select(NoticeLink)).all() == []


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ('127.0.0.1:5 - "GET /public/notices/AbC-_9 HTTP/1.1" 200', "/public/notices/… HTTP"),
        ("GET /public/notices/AbC-_9?lang=en", "/public/notices/…?lang=en"),
        ("GET /signin?token=plt_secret&next=/today", "/signin?token=…&next=/today"),
    ],
)  # fmt: skip
def test_the_access_log_shows_no_token(line: str, shown: str) -> None:
    assert shown in redact(line)
    assert "AbC-_9" not in redact(line)
    assert "plt_secret" not in redact(line)
