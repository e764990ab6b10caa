"""The desk's New complaint form and the public notice (公示) in headless Chromium against
uvicorn on loopback (tests/web/pages/browser.py), each page saved as a screenshot:

- the desk types a resident's phone number, picks the resident found, fills in the
  complaint and submits; once triaged the ticket page shows it;
- a manager opens a community's notice, makes a share link, and the link shows the
  notice signed out, in Chinese and in English, on one printed A4 page; uvicorn's access
  log never shows the token.

One PostgreSQL run: the HTTP tests cover both databases."""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plaint.config import Config
from plaint.models import Ticket
from plaint.service.monthly.sample import write_sample
from plaint.service.notice import communities
from tests.web.pages.browser import artifact_dir, chromium, serving
from tests.web.pages.conftest import SECRET
from tests.web.pages.test_browser import Browser
from tests.web.test_desk import NOW, STAFF, Desk, open_desk

pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)

READY_SECONDS = 20.0
_A4_PAGE = re.compile(rb"/Type\s*/Page[^s]")


@pytest.fixture
def desk(sessions: sessionmaker[Session], make_config: Callable[..., Config]) -> Iterator[Desk]:
    yield from open_desk(sessions, make_config(STAFF), clock=lambda: NOW, secret_key=SECRET)


@pytest.fixture
def page(desk: Desk, request: pytest.FixtureRequest) -> Iterator[Browser]:
    shots = artifact_dir() / request.node.name.replace("[", "-").rstrip("]")
    shots.mkdir(exist_ok=True)
    for old in shots.glob("*.png"):
        old.unlink()
    print(f"screenshots: {shots}")
    with chromium() as driver, serving(desk.client.app) as base:
        yield Browser(driver, base, shots)


def _until(page: Browser, condition: Callable[[Any], Any]) -> Any:
    """Probe ``condition`` on the driver until it holds (a page's script or reload)."""
    from selenium.webdriver.support.wait import WebDriverWait

    return WebDriverWait(page.driver, READY_SECONDS, poll_frequency=0.1).until(condition)


def test_the_desk_records_a_phoned_complaint_for_a_found_resident(
    desk: Desk, page: Browser
) -> None:
    desk.take({"text": "楼上漏水", "phone": "13800138000", "name": "张先生",
               "community": "翠湖花园", "building": "3", "unit": "301"})  # fmt: skip
    page.sign_in(desk.tokens["desk.wu"])
    page.open("/tickets/new", "new-complaint")
    page.find("#find").send_keys("1380013")
    match = _until(page, lambda d: d.find_element("css selector", "a.match"))
    page.shot("new-complaint-found")
    assert "张先生" in match.text
    match.click()
    assert page.find("#phone").get_attribute("value") == "+8613800138000"
    assert page.find("#unit").get_attribute("value") == "301"
    page.find("#subject").send_keys("厨房天花板渗水")
    page.find("#text").send_keys(
        "张先生来电：楼上漏水又开始了，厨房天花板一直滴水，请尽快派人查看。"
    )
    page.shot("new-complaint-filled")
    page.find("#take").click()
    _until(page, lambda d: "/tickets/new/" in d.current_url)
    page.shot("new-complaint-taken")
    assert page.find("#item-status").get_attribute("data-status") == "pending"
    assert page.find("#item-status").text == "待分拣"
    desk.triage()  # as a worker would
    _until(page, lambda d: re.search(r"/tickets/TS-\d{4}-\d{6}$", d.current_url))
    page.shot("new-complaint-ticket")
    shown = page.find("main").text
    assert "厨房天花板一直滴水" in shown
    assert "张先生" in shown
    number = page.driver.current_url.rsplit("/", 1)[1]
    with desk.sessions() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        assert ticket.channel == "desk"
        assert ticket.resident is not None
        assert (ticket.resident.phone, ticket.resident.unit) == ("+8613800138000", "301")


def test_the_public_notice_prints_on_one_page_and_its_link_stays_out_of_the_log(
    desk: Desk, page: Browser, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with desk.sessions.begin() as session:
        write_sample(session, config=desk.config, year=2026, month=10, tickets=300, history=0,
                     as_of=datetime(2026, 11, 2, 9, tzinfo=ZoneInfo("Asia/Shanghai")))  # fmt: skip
    with desk.sessions() as session:
        community = communities(session)[0]
    page.sign_in(desk.tokens["qian.pm"])
    page.open("/notices?month=2026-10", "notices-index")
    page.find(f"a[href='/notices/{quote(community)}/2026-10']").click()
    page.shot("notice-staff-zh")
    sheet = page.find("#notice").text
    assert community in sheet
    assert "主要问题及处理情况" in sheet
    _one_a4_page(page, "notice-staff-print.pdf")
    page.find("#make-link").click()
    page.shot("notice-link-made")
    url = page.find("#new-link").get_attribute("value")
    token = url.rsplit("/", 1)[1]
    page.sign_out()
    _until(page, lambda d: "/signin" in d.current_url)  # signed out before the link opens
    page.driver.get(url)
    page.shot("notice-public-zh")
    assert community in page.find("#notice").text
    assert "投诉类型" in page.find("#notice").text
    _one_a4_page(page, "notice-public-print.pdf")
    page.find("#language").click()
    page.shot("notice-public-en")
    assert "Complaints by type" in page.find("#notice").text
    access = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    assert any("/public/notices/…" in line for line in access), access
    assert not any(token in record.getMessage() for record in caplog.records)


def _one_a4_page(page: Browser, name: str) -> None:
    """Print the page to PDF (A4) as Chromium would for the notice board; it is one page."""
    from selenium.webdriver.common.print_page_options import PrintOptions

    options = PrintOptions()
    options.page_width, options.page_height = 21.0, 29.7
    pdf = base64.b64decode(page.driver.print_page(options))
    Path(page.shots / name).write_bytes(pdf)
    assert len(_A4_PAGE.findall(pdf)) == 1, name
