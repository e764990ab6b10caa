"""The operations pages through HTTP as a browser uses them: sign-in with a staff token,
form tokens, department scoping, the actions through the same service functions as the
API, Today, the queues and the review queue; on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select, update

from plaint.models import Inbox, Incident, Notification, Ticket, TicketEvent
from plaint.service.directory import revoke_tokens
from plaint.service.replies import REPLY_TEMPLATE
from tests.web.conftest import T0
from tests.web.pages.conftest import Pages, csrf_of


def test_a_page_asks_to_sign_in_first_and_comes_back(pages: Pages) -> None:
    answer = pages.client.get("/queues?status=open", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?next=/queues?status=open"
    form = pages.client.get(answer.headers["location"])
    landed = pages.client.post("/signin", data={
        "csrf": csrf_of(form.text), "token": pages.tokens["desk.wu"], "next": "/queues?status=open",
    })  # fmt: skip
    assert landed.url.path == "/queues"
    assert "吴客服" in landed.text


def test_an_unknown_token_or_a_missing_form_token_is_refused(pages: Pages) -> None:
    form = pages.client.get("/signin")
    refused = pages.client.post("/signin", data={"csrf": csrf_of(form.text), "token": "plt_x"})
    assert refused.status_code == 401
    assert "令牌无效" in refused.text
    forged = pages.client.post("/signin", data={"token": pages.tokens["desk.wu"]})
    assert forged.status_code == 403
    assert pages.client.get("/today", follow_redirects=False).status_code == 303


def test_signing_out_and_revoking_the_token_end_the_session(pages: Pages) -> None:
    today = pages.sign_in("desk.wu")
    pages.client.post("/signout", data={"csrf": csrf_of(today.text)})
    assert pages.client.get("/today", follow_redirects=False).status_code == 303
    pages.sign_in("desk.wu")
    with pages.sessions.begin() as session:
        revoke_tokens(session, "desk.wu", now=T0)
    assert pages.client.get("/today", follow_redirects=False).status_code == 303


def test_today_shows_the_breached_and_at_risk_tickets_of_the_members_department(
    pages: Pages,
) -> None:
    page = pages.sign_in("li.clean")
    assert page.url.path == "/today"
    assert pages.numbers["garbage"] in page.text or pages.numbers["corridor"] in page.text
    assert pages.numbers["fee"] not in page.text  # finance's
    fragment = pages.client.get("/today/fragment")
    assert fragment.status_code == 200
    assert "<html" not in fragment.text


def test_admins_see_the_flow_and_the_stuck_rows(pages: Pages) -> None:
    with pages.sessions.begin() as session:  # one stuck row of each kind
        session.execute(update(Inbox).where(Inbox.id == 1).values(
            status="quarantined", error="unreadable_mime"))  # fmt: skip
        session.execute(update(Notification).where(Notification.id == 1).values(
            status="failed", last_error="smtp_refused"))  # fmt: skip
    page = pages.sign_in("admin.root")
    for shown in ("处理队列", "渠道拉取", "unreadable_mime", "smtp_refused"):
        assert shown in page.text
    assert pages.numbers["lift"] not in page.text  # breached but resolved: no longer at issue
    desk = pages.client.get("/today")
    pages.sign_in("desk.wu")
    assert "smtp_refused" in desk.text
    assert "smtp_refused" not in pages.client.get("/today").text


def test_a_member_gets_the_404_page_for_another_departments_ticket(pages: Pages) -> None:
    pages.sign_in("li.clean")
    answer = pages.client.get(f"/tickets/{pages.numbers['fee']}")
    assert answer.status_code == 404
    assert "没有这张工单" in answer.text
    unknown = pages.client.get("/tickets/TS-0000-000000")
    assert unknown.status_code == 404
    posted = pages.client.post(
        f"/tickets/{pages.numbers['fee']}/act",
        data={"csrf": csrf_of(answer.text), "action": "note", "text": "x"},
    )
    assert posted.status_code == 404


def test_a_reply_from_the_page_reaches_the_outbox_once(pages: Pages) -> None:
    number = pages.numbers["corridor"]
    pages.sign_in("li.clean")
    page = pages.client.get(f"/tickets/{number}")
    key = page.text.split('name="idempotency" value="')[1].split('"')[0]
    assert "@example.com" not in page.text  # not assigned to them: no resident's address
    form = {"csrf": csrf_of(page.text), "action": "reply", "text": "已安排保洁今天清理",
            "idempotency": key}  # fmt: skip
    first = pages.client.post(f"/tickets/{number}/act", data=form)
    again = pages.client.post(f"/tickets/{number}/act", data=form)  # a double submit
    assert first.url.path == f"/tickets/{number}"
    assert again.status_code == 200
    assert "已安排保洁今天清理" in first.text
    assert "pending" in first.text
    with pages.sessions() as session:
        rows = session.scalars(select(Notification).join(Ticket).where(
            Ticket.number == number, Notification.template == REPLY_TEMPLATE)).all()  # fmt: skip
    assert [row.data["text"] for row in rows] == ["已安排保洁今天清理"]


def test_a_transfer_from_the_page_is_in_the_timeline_and_hides_the_ticket(pages: Pages) -> None:
    number = pages.numbers["garbage"]
    pages.sign_in("li.clean")
    answer = pages.act(number, "transfer", department="finance", reason="收费问题")
    assert answer.url.path == "/today"
    with pages.sessions() as session:
        kinds = session.scalars(select(TicketEvent.kind).join(Ticket).where(
            Ticket.number == number)).all()  # fmt: skip
    assert "transfer" in kinds
    pages.sign_in("zhao.fin")
    page = pages.client.get(f"/tickets/{number}")
    assert page.status_code == 200
    assert "收费问题" in page.text


def test_a_refused_action_comes_back_with_the_services_message(pages: Pages) -> None:
    pages.sign_in("li.clean")
    answer = pages.act(pages.numbers["corridor"], "acknowledge")
    assert answer.url.path == f"/tickets/{pages.numbers['corridor']}"
    assert 'class="notice error"' in answer.text


def test_queues_filter_and_the_review_queue_corrects_in_one_click(pages: Pages) -> None:
    number = pages.numbers["corridor"]
    with pages.sessions.begin() as session:  # a classification the desk must review
        session.execute(update(Ticket).where(Ticket.number == number).values(confidence=0.1))
    pages.sign_in("desk.wu")
    finance = pages.client.get("/queues", params={"department": "finance"})
    assert pages.numbers["fee"] in finance.text
    assert pages.numbers["garbage"] not in finance.text
    review = pages.client.get("/queues", params={"review": "true"})
    assert number in review.text
    assert pages.numbers["garbage"] not in review.text
    corrected = pages.client.post(f"/tickets/{number}/act", data={
        "csrf": csrf_of(review.text), "action": "reclassify", "sub_topic": "garbage",
        "back": "/queues?review=true",
    })  # fmt: skip
    assert corrected.url.path == "/queues"
    assert number not in corrected.text.split('id="queue"')[1]  # reviewed
    with pages.sessions() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
        assert ticket.sub_topic == "garbage"
        kinds = [event.kind for event in ticket.events]
    assert "reclassified" in kinds


def test_the_language_is_the_members_choice(pages: Pages) -> None:
    page = pages.sign_in("desk.wu")
    english = pages.client.post("/language", data={"csrf": csrf_of(page.text), "lang": "en",
                                                   "back": "/today"})  # fmt: skip
    assert "Breached" in english.text
    assert "已超时" not in english.text


def test_the_monthly_report_is_a_page_for_company_wide_roles(pages: Pages) -> None:
    pages.sign_in("desk.wu")
    report = pages.client.get("/reports/monthly", params={"month": "2026-11"})
    assert report.status_code == 200
    assert "<svg" in report.text
    assert pages.client.get("/reports/monthly", params={"month": "2026-13"}).status_code == 422
    pages.sign_in("li.clean")
    assert pages.client.get("/reports/monthly").status_code == 404


def test_one_form_resolves_every_report_of_an_incident(pages: Pages) -> None:
    reports = [pages.numbers["garbage"], pages.numbers["corridor"]]
    with pages.sessions.begin() as session:  # two reports of one series
        tickets = session.scalars(select(Ticket).where(Ticket.number.in_(reports))).all()
        incident = Incident(sub_topic="garbage", community="翠湖苑", building="3",
                            department_id=tickets[0].department_id, created_at=T0)  # fmt: skip
        session.add(incident)
        session.flush()
        for ticket in tickets:
            ticket.incident_id = incident.id
    page = pages.sign_in("chen.head")
    page = pages.client.get("/incidents")
    assert all(number in page.text for number in reports)
    resolved = pages.client.post(f"/tickets/{reports[0]}/act", data={
        "csrf": csrf_of(page.text), "action": "resolve", "resolution": "已清运",
        "back": "/incidents",
    })  # fmt: skip
    assert resolved.url.path == "/incidents"
    assert reports[1] not in resolved.text  # no open incident left
    with pages.sessions() as session:
        statuses = session.scalars(select(Ticket.status).where(Ticket.number.in_(reports)))
        assert set(statuses) == {"resolved"}
    pages.sign_in("zhao.fin")
    assert reports[0] not in pages.client.get("/incidents").text  # cleaning's, not finance's


def test_a_sign_in_link_signs_in_once(pages: Pages) -> None:
    link = f"/signin?token={pages.tokens['desk.wu']}"
    assert pages.client.get(link).url.path == "/today"
    assert pages.client.get("/tickets/new").status_code == 200  # the session lives on
    pages.client.cookies.clear()
    assert pages.client.get(link).status_code == 401  # the link's token is spent
