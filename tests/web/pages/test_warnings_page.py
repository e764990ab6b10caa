"""The early-warning page (/warnings): the spike of a generated history with its tickets
for the desk and the managers; nothing for a member of another department; and in a real
browser, with a screenshot (tests/artifacts/pages/)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.orm import Session, sessionmaker

from plaint.config import Config
from tests.service.warning_history import write_history
from tests.web.conftest import NOW
from tests.web.pages.conftest import Pages, csrf_of
from tests.web.pages.test_browser import Browser, browser  # noqa: F401 (the fixture)


def _spike(sessions: sessionmaker[Session], config: Config) -> list[str]:
    with sessions.begin() as session:
        return write_history(session, config, spike=6, now=NOW, sync=False)


def test_the_desk_sees_the_spike_with_links_to_its_tickets(
    pages: Pages, web_config: Config
) -> None:
    numbers = _spike(pages.sessions, web_config)
    pages.sign_in("desk.wu")
    page = pages.client.get("/warnings")
    assert page.status_code == 200
    assert "阳光花园 · 3栋" in page.text
    assert "电梯" in page.text
    assert sorted(re.findall(r'href="/tickets/(TS-S[\d-]+)"', page.text)) == sorted(numbers)
    assert 'href="/warnings"' in pages.client.get("/today").text  # in the nav


def test_a_member_of_another_department_does_not_see_it(pages: Pages, web_config: Config) -> None:
    numbers = _spike(pages.sessions, web_config)
    pages.sign_in("li.clean")  # cleaning; the lift tickets are engineering's
    page = pages.client.get("/warnings")
    assert page.status_code == 200
    assert "阳光花园" not in page.text
    assert numbers[0] not in page.text


def test_the_page_speaks_english_when_chosen(pages: Pages, web_config: Config) -> None:
    _spike(pages.sessions, web_config)
    landed = pages.sign_in("admin.root")
    pages.client.post("/language", data={"csrf": csrf_of(landed.text), "lang": "en"})
    page = pages.client.get("/warnings").text
    assert "<h1>Early warning</h1>" in page
    assert "<td>lift</td>" in page
    assert "in the last 24 h against its usual rate over the 4 weeks before" in page


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_the_warnings_page_in_a_browser(
    browser: tuple[Browser, dict[str, str]],  # noqa: F811 (the fixture imported above)
    sessions: sessionmaker[Session],
    web_config: Config,
) -> None:
    numbers = _spike(sessions, web_config)
    page, tokens = browser
    page.sign_in(tokens["desk.wu"])
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    # Probe until the signed-in page has landed (the click returns before it may have).
    WebDriverWait(page.driver, 30).until(lambda d: d.find_elements(By.ID, "nav-warnings"))
    page.find("#nav-warnings").click()
    page.shot("warnings")
    table = page.find("#warnings").text
    assert "阳光花园 · 3栋" in table
    assert numbers[0] in table
    page.find(f'a[href="/tickets/{numbers[0]}"]').click()
    page.shot("warning-ticket")
    assert numbers[0] in page.find("main").text
