"""One survey answer per closure under concurrency, with real processes on PostgreSQL:
several answers from one resident triaged at once record one answer, reopen the ticket
once, notify the head once and answer the resident once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from plaint.channels.twilio import items
from plaint.config import Config
from plaint.models import (
    Notification,
    SurveyAnswer,
    Ticket,
    TicketEvent,
    create_db_engine,
    session_factory,
)
from plaint.service.staff import Action
from plaint.service.store import store_delivery
from tests.service.resident_helpers import (
    PHONE,
    RESIDENT_TOML,
    act_by_number,
    only_ticket,
    resident_config,
    sync_staff,
    text_in,
)
from tests.service.test_concurrency import PROCESSES, _triage_at_once

ANSWERS = ("1", "2 太慢", "不满意", "1", "1 还是坏的", "2")


def _count(sessions: sessionmaker[Session], query: object) -> int:
    with sessions() as session:
        return int(session.scalar(query) or 0)  # type: ignore[call-overload]


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_answers_at_once_are_one_answer_one_reopen_one_head_notice(
    db_url: str,
    tmp_path: Path,
    make_config: Callable[..., Config],
) -> None:
    config_file = tmp_path / "plaint.toml"
    config_file.write_text(RESIDENT_TOML, "utf-8")
    config = resident_config(make_config)
    engine = create_db_engine(db_url)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    sync_staff(sessions, config, now=now)
    text_in(sessions, config, "3号楼的电梯坏了好几天了，请尽快派人修理", now=now)
    with sessions.begin() as session:
        act_by_number(session, number=only_ticket(sessions).number, action=Action.CLOSE,
                      actor="zhang.head", at=now, config=config)  # fmt: skip
        session.execute(update(Notification).where(Notification.template == "survey")
                        .values(status="sent", sent_at=now))  # fmt: skip
    ids = []
    with sessions.begin() as session:
        for i, body in enumerate(ANSWERS):
            fields = {"MessageSid": f"SMc{i:031d}", "From": PHONE, "Body": body}
            ids.append(store_delivery(session, items.sms(fields, received_at=now),
                                      now=now).inbox_id)  # fmt: skip
    results = _triage_at_once(tmp_path, db_url, config_file, ids, threads=2)
    assert sum(r["triaged"] for r in results) == len(ANSWERS)
    assert len(results) == PROCESSES
    assert _count(sessions, select(func.count()).select_from(SurveyAnswer)) == 1
    assert _count(sessions, select(func.count()).select_from(Ticket)) == 1
    reopens = select(func.count()).where(TicketEvent.kind == "reopen")
    assert _count(sessions, reopens) == 1
    for template in ("survey_low", "survey_reopened"):
        query = select(func.count()).where(Notification.template == template)
        assert _count(sessions, query) == 1, template
    engine.dispose()
