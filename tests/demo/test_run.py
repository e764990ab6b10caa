"""``plaint demo`` feeds every channel along its real code path, and every resident hears
back exactly once: the demo runs in this process (its stack in children), and what arrived
at its Twilio stand-in and its SMTP server is counted."""

from __future__ import annotations

import importlib.util
import os
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from plaint.demo.residents import CALLS, REPLY, TEXTS
from plaint.demo.run import running_demo
from plaint.demo.summary import Delivered
from plaint.models import Ticket, create_db_engine, session_factory
from tests.servers import missing

ACK_WORDS = ("您的投诉已受理", "Your complaint has been received")
MAILS = 14  # plaint.demo.mail: 13 complaints and one reply in a thread


def _is_ack(delivered: Delivered) -> bool:
    return any(word in delivered.text for word in ACK_WORDS)


@pytest.mark.slow
def test_every_channel_makes_tickets_and_each_resident_is_acknowledged_once(
    tmp_path: Path,
) -> None:
    for module in ("pymap", "aiosmtpd"):
        if importlib.util.find_spec(module) is None:
            missing(f"{module} (the demo extra)")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PLAINT_")}
    with running_demo(tmp_path, environ=environ) as demo:
        outcome = demo.outcome
        engine = create_db_engine(demo.settings.database_url)
        with session_factory(engine)() as session:
            tickets = session.scalars(select(Ticket)).all()
            channels = Counter(t.channel for t in tickets)
            number_of = {(t.resident.phone, (t.resident.email or "").lower()): t.number
                         for t in tickets if t.resident is not None}  # fmt: skip
        engine.dispose()
    assert outcome.error is None
    assert outcome.triaged == outcome.fed == MAILS + len(TEXTS) + len(CALLS)
    # Every channel made tickets; 陈先生's SMS continued the ticket his mail opened.
    assert channels == {"email": 13, "sms": len(TEXTS) - 1, "phone": len(CALLS)}
    chen = next(r for r in outcome.residents if r.name == "陈先生")
    assert chen.came_in == ("email", "sms")
    assert len(chen.tickets) == 1
    # Each resident got exactly one acknowledgement, at the stand-in or the SMTP server,
    # naming their ticket; nothing arrived twice, nothing went to anyone else.
    acks = Counter(d.address for d in outcome.arrived if _is_ack(d))
    assert set(acks.values()) == {1}
    assert len(acks) == len(number_of) == len(outcome.residents) == 18
    for (phone, email), number in number_of.items():
        [ack] = [d for d in outcome.arrived if _is_ack(d) and d.address in (phone, email)]
        assert number in ack.text
        assert ack.channel == ("email" if email else "sms")
    assert len(set(outcome.arrived)) == len(outcome.arrived)
    assert outcome.others == ()
    # The desk's reply reached the first SMS resident, by SMS.
    huang = next(r for r in outcome.residents if r.name == TEXTS[0].name)
    assert [d.channel for d in huang.received] == ["sms", "sms"]
    assert any(REPLY in d.text for d in huang.received if not _is_ack(d))
