"""The resident loop on SQLite and PostgreSQL, through the Twilio stand-in and a real SMTP
server: quiet hours (23:00 waits for 08:00, an emergency acknowledgement does not), the
status query (进度) that opens no ticket, the survey once per closure and a low score that
reopens and tells the head, English texts for an English resident, channel fallback."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from plaint.channels import open_senders
from plaint.channels.outbound import Sender
from plaint.channels.twilio.sender import TwilioSender
from plaint.config import Config
from plaint.models import Notification, Resident, SurveyAnswer, Ticket
from plaint.service.fallback import fall_back_bounced
from plaint.service.monthly.survey import survey_summary
from plaint.service.resident_messages import notify_resident
from plaint.service.residents import set_language
from plaint.service.satisfaction import satisfaction
from plaint.service.staff import Action
from plaint.service.triage import TriageOutcome
from plaint.service.twilio_status import record_status
from tests.service.resident_helpers import (
    PHONE,
    act_by_number,
    dispatch,
    notifications,
    only_ticket,
    resident_config,
    sync_staff,
    text_in,
)
from tests.smtp import SmtpServer
from tests.twilio_fixture import ACCOUNT, TOKEN, StandIn

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)
NIGHT = datetime(2026, 11, 30, 23, 0, tzinfo=SHANGHAI)
MORNING = datetime(2026, 12, 1, 8, 0, tzinfo=SHANGHAI)
LIFT = "3号楼的电梯坏了好几天了，请尽快派人修理"
TRAPPED = "电梯困人了！有人被困在3号楼电梯里出不来"


@pytest.fixture
def config(make_config: Callable[..., Config], sessions: sessionmaker[Session]) -> Config:
    built = resident_config(make_config)
    sync_staff(sessions, built, now=DAY)
    return built


@pytest.fixture
def sms(standin: StandIn) -> dict[str, Sender]:
    return {"sms": TwilioSender(standin.settings())}


def bodies(standin: StandIn, to: str = PHONE) -> list[str]:
    return [s["body"] for s in standin.sent() if s["to"] == to]


def test_a_message_at_23_00_goes_at_08_00_and_an_emergency_ack_at_once(
    sessions: sessionmaker[Session], config: Config, standin: StandIn, sms: dict[str, Sender]
) -> None:
    other = "+8613800138001"
    assert text_in(sessions, config, LIFT, now=NIGHT, sender=other) is TriageOutcome.TICKET
    assert text_in(sessions, config, TRAPPED, now=NIGHT) is TriageOutcome.TICKET
    with sessions.begin() as session:
        tickets = {t.urgency: t for t in session.scalars(select(Ticket))}
        notify_resident(session, tickets["normal"], template="progress", key="p:1", now=NIGHT,
                        data={"text": "师傅明早上门"})  # fmt: skip
    dispatch(sessions, config, sms, at=NIGHT)
    [emergency_ack] = bodies(standin)
    assert "已受理" in emergency_ack  # the emergency's acknowledgement: at 23:00
    assert len(bodies(standin, other)) == 1  # a direct answer (the ack) goes too
    [held] = [n for n in notifications(sessions) if n.key == "p:1"]
    assert (held.status, held.not_before, held.last_error) == ("pending", MORNING, "quiet hours")
    dispatch(sessions, config, sms, at=MORNING - timedelta(minutes=1))
    assert len(bodies(standin, other)) == 1
    dispatch(sessions, config, sms, at=MORNING)
    assert bodies(standin, other)[1].endswith("师傅明早上门")


def test_a_community_without_quiet_hours(
    sessions: sessionmaker[Session], make_config: Callable[..., Config], standin: StandIn,
    sms: dict[str, Sender],
) -> None:  # fmt: skip
    config = resident_config(
        make_config, '[messages.communities."阳光花园"]\nquiet_hours = "off"\n'
    )
    sync_staff(sessions, config, now=DAY)
    text_in(sessions, config, LIFT, now=DAY)
    with sessions.begin() as session:
        session.scalars(select(Resident)).one().community = "阳光花园"
        notify_resident(session, session.scalars(select(Ticket)).one(), template="progress",
                        key="p:1", now=NIGHT, data={"text": "已派单"})  # fmt: skip
    dispatch(sessions, config, sms, at=NIGHT)
    assert bodies(standin)[-1].endswith("已派单")


def test_a_status_query_answers_with_the_residents_tickets_and_opens_none(
    sessions: sessionmaker[Session], config: Config, standin: StandIn, sms: dict[str, Sender]
) -> None:
    text_in(sessions, config, LIFT, now=DAY)
    text_in(sessions, config, "楼道灯坏了", now=DAY, sender="+8613800138009")
    with sessions() as session:
        mine, theirs = session.scalars(select(Ticket).order_by(Ticket.id)).all()
        mine_number, theirs_number = mine.number, theirs.number
    assert text_in(sessions, config, "进度", now=DAY) is TriageOutcome.KEYWORD
    assert text_in(sessions, config, f"查询 {theirs_number}", now=DAY) is TriageOutcome.KEYWORD
    dispatch(sessions, config, sms, at=DAY)
    _ack, answer, other = bodies(standin)
    assert answer.startswith(f"编号 {mine_number}：已受理，工程维修部负责，办结时限 ")
    assert other == answer  # another resident's ticket is not shown: one's own instead
    assert theirs_number not in other
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 2
        kinds = [e.kind for e in session.get(Ticket, mine.id).events]  # type: ignore[union-attr]
    assert kinds.count("status_query") == 2


def test_the_survey_goes_once_after_closure_and_a_low_score_reopens_and_tells_the_head(
    sessions: sessionmaker[Session], config: Config, standin: StandIn, sms: dict[str, Sender]
) -> None:
    text_in(sessions, config, LIFT, now=DAY)
    number = only_ticket(sessions).number
    with sessions.begin() as session:
        for action in (Action.RESPOND, Action.RESOLVE, Action.CLOSE):
            act_by_number(session, number=number, action=action, actor="zhang.head", at=DAY,
                          config=config)  # fmt: skip
    dispatch(sessions, config, sms, at=DAY + timedelta(hours=23))
    assert len(bodies(standin)) == 1  # the acknowledgement; the survey waits a day
    dispatch(sessions, config, sms, at=DAY + timedelta(hours=24))
    dispatch(sessions, config, sms, at=DAY + timedelta(hours=25))
    assert [b for b in bodies(standin) if "满意" in b] == [bodies(standin)[1]]  # once
    answered = DAY + timedelta(hours=26)
    assert text_in(sessions, config, "1 还是坏的", now=answered) is TriageOutcome.KEYWORD
    ticket = only_ticket(sessions)
    assert ticket.status in ("open", "responded")
    kinds = [e.kind for e in ticket.events]
    assert {"survey_scheduled", "survey_answer", "reopen", "survey_escalated"} <= set(kinds)
    with sessions() as session:
        answer = session.scalars(select(SurveyAnswer)).one()
    assert (answer.score, answer.comment, answer.cycle) == (1, "还是坏的", 1)
    dispatch(sessions, config, sms, at=answered)
    [to_head] = bodies(standin, "+8613900000001")
    assert number in to_head
    assert "已重新打开" in bodies(standin)[2]  # the resident is told, once
    assert len(bodies(standin)) == 3
    with sessions.begin() as session:
        act_by_number(session, number=number, action=Action.CLOSE, actor="zhang.head",
                      at=answered, config=config)  # fmt: skip
    keys = sorted(n.key for n in notifications(sessions) if n.template == "survey")
    assert keys == [f"survey:{ticket.id}:1", f"survey:{ticket.id}:2"]  # one per closure


def test_an_english_resident_gets_english_texts_unless_set_otherwise(
    sessions: sessionmaker[Session], config: Config, standin: StandIn, sms: dict[str, Sender]
) -> None:
    text_in(sessions, config, "The lift in my building is broken again, please fix it", now=DAY)
    dispatch(sessions, config, sms, at=DAY)
    assert bodies(standin)[0].startswith("Your complaint has been received under number TS-")
    text_in(sessions, config, "STATUS", now=DAY)
    dispatch(sessions, config, sms, at=DAY)
    with sessions.begin() as session:
        set_language(session, PHONE, "zh")
    text_in(sessions, config, "status", now=DAY)
    dispatch(sessions, config, sms, at=DAY)
    _, english, chinese = bodies(standin)
    assert ": received, " in english
    assert chinese.startswith("编号 ")


def _both_channels(sessions: sessionmaker[Session], **row: Any) -> None:
    with sessions.begin() as session:
        resident = Resident(phone=PHONE, email="li@example.com", created_at=DAY)
        session.add(resident)
        session.flush()
        session.add(Notification(recipient_kind="resident", recipient=str(resident.id),
                                 template="closed", data={"ticket": "TS-1"}, not_before=DAY,
                                 created_at=DAY, **row))  # fmt: skip


def test_an_sms_refused_for_good_goes_by_email_once(
    sessions: sessionmaker[Session], config: Config, standin: StandIn, smtp_server: SmtpServer
) -> None:
    environ = {**smtp_server.environ(), "PLAINT_TWILIO_ACCOUNT_SID": ACCOUNT,
               "PLAINT_TWILIO_AUTH_TOKEN": TOKEN, "PLAINT_TWILIO_API_URL": standin.url,
               "PLAINT_TWILIO_FROM": "+8610690000"}  # fmt: skip
    senders = open_senders(environ)
    _both_channels(sessions, key="c:1", channel="sms")
    standin.control("faults", [{"status": 400, "code": 21211}])  # invalid 'To' number
    try:
        dispatch(sessions, config, senders, at=DAY)
        dispatch(sessions, config, senders, at=DAY)
    finally:
        senders["email"].close()  # type: ignore[attr-defined]
    by_key = {n.key: n for n in notifications(sessions)}
    assert by_key["c:1"].status == "failed"
    assert (by_key["c:1:fallback"].status, by_key["c:1:fallback"].channel) == ("sent", "email")
    [mail] = smtp_server.sink.messages
    assert mail.rcpt_tos == ("li@example.com",)
    assert "TS-1" in str(mail.mail["Subject"])


def test_an_undelivered_status_falls_back_and_a_bounce_falls_back_to_sms(
    sessions: sessionmaker[Session], config: Config
) -> None:
    _both_channels(sessions, key="c:1", channel="sms", status="sent", provider_id="SM1")
    with sessions.begin() as session:
        for _ in range(2):  # a repeated callback adds nothing
            record_status(session, sid="SM1", key="c:1", status="undelivered", error_code="30005",
                          recipient=PHONE, now=DAY)  # fmt: skip
    with sessions.begin() as session:
        session.add(Notification(recipient_kind="resident", recipient="1", template="closed",
                                 key="c:2", channel="email", status="sent",
                                 provider_id="<plaint.a@plaint.example>", data={},
                                 not_before=DAY, created_at=DAY))  # fmt: skip
        session.flush()
        assert fall_back_bounced(session, ["plaint.a@plaint.example"], now=DAY) == 1
    fallbacks = [n for n in notifications(sessions) if n.key.endswith(":fallback")]
    assert [(n.key, n.channel, n.template) for n in fallbacks] == [
        ("c:1:fallback", "email", "closed"), ("c:2:fallback", "sms", "closed")
    ]  # fmt: skip


def test_the_survey_respects_an_opt_out(
    sessions: sessionmaker[Session], config: Config, standin: StandIn, sms: dict[str, Sender]
) -> None:
    text_in(sessions, config, LIFT, now=DAY)
    text_in(sessions, config, "退订", now=DAY)
    with sessions.begin() as session:
        act_by_number(session, number=only_ticket(sessions).number, action=Action.CLOSE,
                      actor="zhang.head", at=DAY, config=config)  # fmt: skip
    dispatch(sessions, config, sms, at=DAY + timedelta(days=1))
    assert not [b for b in bodies(standin) if "满意" in b]
    [survey] = [n for n in notifications(sessions) if n.template == "survey"]
    assert (survey.status, survey.last_error) == ("failed", "opted_out")


def test_survey_answers_feed_the_monthly_satisfaction_figures(
    sessions: sessionmaker[Session], config: Config, standin: StandIn, sms: dict[str, Sender]
) -> None:
    for i, answer in enumerate(("满意", "基本满意")):
        phone = f"+861380013810{i}"
        text_in(sessions, config, LIFT if i == 0 else "楼道太脏了，保洁没有打扫", now=DAY,
                sender=phone)  # fmt: skip
        with sessions.begin() as session:
            number = session.scalars(select(Ticket.number).order_by(Ticket.id.desc())).first()
            assert number is not None
            act_by_number(session, number=number, action=Action.CLOSE, actor="zhang.head",
                          at=DAY, config=config)  # fmt: skip
        dispatch(sessions, config, sms, at=DAY + timedelta(days=1))
        text_in(sessions, config, answer, now=DAY + timedelta(days=1), sender=phone)
    start, end = datetime(2026, 12, 1, tzinfo=SHANGHAI), datetime(2027, 1, 1, tzinfo=SHANGHAI)
    with sessions() as session:
        rows = satisfaction(session, start=start, end=end, group_by="department")
    assert [(r.group, r.answers, r.mean, r.satisfied, r.unhappy) for r in rows] == [
        ("cleaning", 1, 3.0, 0, 0), ("engineering", 1, 5.0, 1, 0), ("all", 2, 4.0, 1, 0)
    ]  # fmt: skip
    with sessions() as session:  # the monthly report reads the same answers
        summary = survey_summary(session, start=start, end=end)
        assert survey_summary(session, start=end, end=end + timedelta(days=31)) is None
    assert summary is not None
    assert (summary.surveyed, summary.answered, summary.mean) == (2, 2, 4.0)
    assert summary.satisfied_share == 0.5
