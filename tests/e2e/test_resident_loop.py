"""Issue 12's first "done when", end to end on real Redis + PostgreSQL + the Twilio
stand-in + a real SMTP server, through plaint's real worker: a complaint by SMS gets the
Chinese acknowledgement; staff reply; the resident texts 进度 and gets the status (no new
ticket); staff resolve and close; the survey goes out a day later; the resident answers 1;
the ticket reopens and the department head is notified (by mail: the head has only an
address); every step is in the timeline, and the resident got exactly one SMS per step.

Staff act through the REST API (``POST /api/v1/tickets/{number}/reply|resolve|close``)
with the head's bearer token, as the pages and integrations do.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from plaint.models import Ticket
from plaint.service.directory import issue_token
from plaint.service.resident_messages import notify_resident
from plaint.web.app import create_app
from tests.plant import Plant
from tests.smtp import SmtpServer
from tests.twilio_fixture import ACCOUNT, SENDER, StandIn
from tests.workers.test_twilio_flow import _env, _webhook

RESIDENT = "+8613800138000"
HEAD = "zhang.head"
CONFIG = f"""
[messages]
quiet_hours = "21:00-08:00"
survey_delay_hours = 24

[[staff]]
code = "{HEAD}"
name = "张经理"
role = "department_head"
department = "engineering"
email = "zhang.head@plaint.example"
"""
DAY = datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
_sids = count(1)


def _text(plant: Plant, body: str) -> None:
    """The resident texts ``body`` (Twilio's webhook), and everything it causes is done."""
    _webhook(plant)({"MessageSid": f"SM{next(_sids):032d}", "From": RESIDENT, "To": SENDER,
                     "Body": body, "NumMedia": "0", "AccountSid": ACCOUNT})  # fmt: skip
    _settle(plant)


def _settle(plant: Plant) -> None:
    plant.drain()
    plant.actors.dispatch_outbox.send()  # triage's kick is debounced: the clock's run
    plant.drain()


def _staff(plant: Plant, number: str, action: str, body: dict[str, str] | None = None) -> None:
    """``HEAD`` does ``action`` on ticket ``number`` through the REST API; then everything
    it causes is done."""
    with plant.sessions.begin() as session:
        token = issue_token(session, HEAD, now=plant.clock())
    app = create_app(config=plant.rt.config, sessions=plant.sessions, redis_ready=lambda: True,
                     clock=plant.clock)  # fmt: skip
    with TestClient(app) as client:
        response = client.post(f"/api/v1/tickets/{number}/{action}", json=body or {},
                               headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert response.status_code == 200, response.text
    _settle(plant)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_the_resident_loop_end_to_end(
    make_plant: Callable[..., Plant], standin: StandIn, smtp_server: SmtpServer
) -> None:
    plant = make_plant(CONFIG, environ={**_env(standin), **smtp_server.environ()})
    assert {"sms", "email"} <= set(plant.rt.senders)
    plant.clock.set(DAY)
    texts: list[str] = []

    def step(expected: str) -> None:
        new = [s["body"] for s in standin.sent() if s["to"] == RESIDENT][len(texts) :]
        assert len(new) == 1, new  # exactly one SMS for this step
        assert expected in new[0]
        texts.extend(new)

    _text(plant, "3号楼的电梯坏了好几天了，请尽快派人修理")
    [ticket] = plant.tickets()
    step(f"您好，您的投诉已受理，编号 {ticket.number}，类别：设施/产品投诉 · 电梯。")
    _staff(plant, ticket.number, "reply", {"text": "维修师傅今天下午上门"})
    step("工程维修部答复：维修师傅今天下午上门")
    _text(plant, "进度")
    step(f"编号 {ticket.number}：处理中，工程维修部负责，办结时限 ")
    assert len(plant.tickets()) == 1
    _staff(plant, ticket.number, "resolve", {"resolution": "已更换电梯门机"})
    step("已处理：已更换电梯门机")
    _staff(plant, ticket.number, "close")
    step("已办结")
    plant.clock.set(DAY + timedelta(hours=24))
    _settle(plant)
    step("请回复数字 1-5")
    _text(plant, "1")
    step("已重新打开")
    [reopened] = plant.tickets()
    assert reopened.status == "responded"
    [mail] = smtp_server.sink.messages
    assert mail.rcpt_tos == ("zhang.head@plaint.example",)
    assert ticket.number in str(mail.mail["Subject"])
    kinds = [event.kind for event in reopened.events]
    expected = ["reply", "status_query", "resolve", "close", "survey_scheduled",
                "survey_answer", "reopen", "survey_escalated"]  # fmt: skip
    assert [k for k in kinds if k in expected] == expected
    _settle(plant)  # nothing more goes out
    assert len([s for s in standin.sent() if s["to"] == RESIDENT]) == len(texts) == 7


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_at_23_00_a_reply_waits_for_08_00_and_an_emergency_is_acknowledged_at_once(
    make_plant: Callable[..., Plant], standin: StandIn, smtp_server: SmtpServer
) -> None:
    plant = make_plant(CONFIG, environ={**_env(standin), **smtp_server.environ()})
    night = DAY.replace(hour=23)
    plant.clock.set(night)
    _text(plant, "电梯困人了！有人被困在3号楼电梯里出不来")
    [ticket] = plant.tickets()
    assert ticket.urgency == "emergency"
    _staff(plant, ticket.number, "reply", {"text": "师傅正在赶来"})
    sent = [s["body"] for s in standin.sent() if s["to"] == RESIDENT]
    assert len(sent) == 2  # the acknowledgement, and the emergency's progress, at 23:00
    _text(plant, "好的，谢谢，楼道里的灯也坏了，不急")  # joins the ticket; nothing to send
    with plant.sessions.begin() as session:
        tickets = session.scalars(select(Ticket)).all()
        assert len(tickets) == 1
        ticket_row = tickets[0]
        ticket_row.urgency = "normal"  # downgraded by the desk: later notes wait
        notify_resident(session, ticket_row, template="progress", now=night, key="p:night",
                        data={"text": "明早处理楼道灯"})  # fmt: skip
    _settle(plant)
    assert len([s for s in standin.sent() if s["to"] == RESIDENT]) == 2
    plant.clock.set(DAY.replace(hour=8) + timedelta(days=1))
    _settle(plant)
    assert [s["body"] for s in standin.sent() if s["to"] == RESIDENT][2].endswith("明早处理楼道灯")
