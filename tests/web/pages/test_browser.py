"""The pages in headless Chromium against uvicorn on loopback: sign in, Today, a ticket,
a reply that reaches the outbox, a transfer that reaches the timeline, and a cleaning
member refused a finance ticket; each page saved as a screenshot (see tests/web/pages/
browser.py). One PostgreSQL run: the HTTP tests cover both databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plaint.config import Config
from plaint.models import Notification, Ticket, TicketEvent, read_session_factory
from plaint.service.directory import issue_token
from plaint.service.replies import REPLY_TEMPLATE
from plaint.web.app import create_app
from plaint.web.probes import RedisProbe
from tests.web.conftest import T0, Clock
from tests.web.pages.browser import artifact_dir, chromium, serving
from tests.web.pages.conftest import SECRET

pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


class Browser:
    """A driver on the served app that saves every page it opens as a screenshot."""

    def __init__(self, driver: Any, base: str, shots: Path) -> None:
        self.driver, self.base, self.shots, self.count = driver, base, shots, 0

    def shot(self, name: str) -> None:
        self.count += 1
        self.driver.save_screenshot(str(self.shots / f"{self.count:02d}-{name}.png"))

    def open(self, path: str, name: str) -> None:
        self.driver.get(self.base + path)
        self.shot(name)

    def find(self, css: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def sign_in(self, token: str) -> None:
        self.open("/signin", "signin")
        self.find("#token").send_keys(token)
        self.find("#signin").click()
        self.wait_for("#signout")

    def wait_for(self, css: str) -> None:
        """Probe until the page the last click led to shows ``css`` (a click returns
        before the browser has loaded the next page)."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(self.driver, 30).until(
            expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css))
        )

    def sign_out(self) -> None:
        self.find("#signout").click()


@pytest.fixture
def browser(
    sessions: sessionmaker[Session], web_config: Config, seeded: dict[str, str], redis_url: str,
    request: pytest.FixtureRequest,
) -> Iterator[tuple[Browser, dict[str, str]]]:  # fmt: skip
    with sessions.begin() as session:
        tokens = {code: issue_token(session, code, now=T0)
                  for code in ("li.clean", "zhao.fin", "desk.wu")}  # fmt: skip
    probe = RedisProbe(redis_url)
    app = create_app(config=web_config, sessions=read_session_factory(sessions.kw["bind"]),
                     redis_ready=probe, clock=Clock(), writer=sessions,
                     secret_key=SECRET)  # fmt: skip
    shots = artifact_dir() / request.node.name.replace("[", "-").rstrip("]")
    shots.mkdir(exist_ok=True)
    print(f"screenshots: {shots}")
    with chromium() as driver, serving(app) as base:
        yield Browser(driver, base, shots), tokens
    probe.close()


def _events(sessions: sessionmaker[Session], number: str) -> list[TicketEvent]:
    with sessions() as session:
        return list(session.scalars(select(TicketEvent).join(Ticket).where(
            Ticket.number == number).order_by(TicketEvent.id)))  # fmt: skip


def test_a_member_signs_in_replies_and_transfers_in_a_browser(
    browser: tuple[Browser, dict[str, str]], seeded: dict[str, str],
    sessions: sessionmaker[Session],
) -> None:  # fmt: skip
    page, tokens = browser
    number = seeded["corridor"]
    page.sign_in(tokens["li.clean"])
    assert page.driver.current_url.endswith("/today")
    page.shot("today")
    assert number in page.find("#today").text

    page.open(f"/tickets/{number}", "ticket")
    page.find("#reply-text").send_keys("您好，已安排保洁今天下午清理楼道垃圾桶。")
    page.find("#do-reply").click()
    page.shot("ticket-replied")
    assert "您好，已安排保洁今天下午清理楼道垃圾桶。" in page.find("main").text
    with sessions() as session:
        outbox = session.scalars(select(Notification).join(Ticket).where(
            Ticket.number == number, Notification.template == REPLY_TEMPLATE)).all()  # fmt: skip
    assert [row.data["text"] for row in outbox] == ["您好，已安排保洁今天下午清理楼道垃圾桶。"]

    page.find("#transfer-reason").send_keys("垃圾桶属于物业收费范围")
    from selenium.webdriver.support.select import Select

    Select(page.find("#transfer-department")).select_by_visible_text(
        "财务/收费"
    )  # the department by its name
    page.find("#do-transfer").click()
    page.shot("after-transfer")
    assert page.driver.current_url.endswith("/today")  # no longer theirs to see
    transfer = [e for e in _events(sessions, number) if e.kind == "transfer"]
    assert len(transfer) == 1
    assert transfer[0].actor == "li.clean"

    page.open(f"/tickets/{number}", "transferred-ticket-404")
    assert "404" in page.find("#not-found").text
    page.sign_out()
    page.sign_in(tokens["zhao.fin"])
    page.open(f"/tickets/{number}", "finance-sees-the-transfer")
    timeline = page.find("#events").text
    assert "转部门" in timeline
    assert "垃圾桶属于物业收费范围" in timeline
    page.find("#language").click()  # the same page in English
    page.shot("finance-sees-the-transfer-en")
    assert "transferred" in page.find("#events").text
    assert "Finance & fees" in page.find("#ticket-department").text


def test_a_cleaning_member_cannot_open_a_finance_ticket(
    browser: tuple[Browser, dict[str, str]], seeded: dict[str, str]
) -> None:
    page, tokens = browser
    page.sign_in(tokens["li.clean"])
    page.open(f"/tickets/{seeded['fee']}", "finance-ticket-404")
    assert "404" in page.find("#not-found").text
    assert seeded["fee"] not in page.find("main").text
    page.open("/queues", "queues")
    assert seeded["fee"] not in page.find("#queue").text
