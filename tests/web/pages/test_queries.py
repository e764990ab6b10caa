"""What the pages read, at the service layer: Today's figures and the queue filters the
pages add to the ticket list (category, community, channel, review, soonest due first)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from plaint.models import Inbox, Notification, Resident, Ticket
from plaint.service.directory import StaffIdentity
from plaint.service.tickets import TicketFilters, list_tickets
from plaint.service.today import today
from tests.web.conftest import NOW

DESK = StaffIdentity("desk.wu", "吴客服", "desk", None)
CLEANER = StaffIdentity("li.clean", "李保洁", "member", "cleaning")


def _numbers(sessions: sessionmaker[Session], who: StaffIdentity, **filters: object) -> list[str]:
    with sessions() as session:
        page = list_tickets(session, filters=TicketFilters(**filters), who=who, now=NOW,  # type: ignore[arg-type]
                            soonest_due=True)  # fmt: skip
    return [item.number for item in page.items]


def test_today_counts_what_its_reader_may_see(
    sessions: sessionmaker[Session], seeded: dict[str, str]
) -> None:
    with sessions() as session:
        desk, member = today(session, who=DESK, now=NOW), today(session, who=CLEANER, now=NOW)
        pending = session.query(Notification).filter(Notification.status == "pending").count()
    assert sum(desk.by_status.values()) == 4
    assert sum(member.by_status.values()) == 2  # garbage and corridor
    assert {stage.stage: stage.depth for stage in desk.stages}["outbox"] == pending
    assert member.stages == ()
    assert member.quarantined == ()
    assert seeded["fee"] in [t.number for t in desk.at_risk]
    assert seeded["fee"] not in [t.number for t in member.at_risk]
    assert [load.department for load in member.load] == ["cleaning"]


def test_at_risk_tickets_come_soonest_due_first(
    sessions: sessionmaker[Session], seeded: dict[str, str]
) -> None:
    with sessions() as session:
        items = today(session, who=DESK, now=NOW).at_risk
    dues = [t.first_response_due or t.closure_due for t in items]
    assert dues == sorted(dues)  # type: ignore[type-var]


def test_the_queue_filters_by_channel_community_category_and_review(
    sessions: sessionmaker[Session], seeded: dict[str, str]
) -> None:
    with sessions.begin() as session:
        fee = session.scalars(select(Ticket).where(Ticket.number == seeded["fee"])).one()
        session.execute(update(Resident).where(Resident.id == fee.resident_id)
                        .values(community="阳光花园"))  # fmt: skip
        session.execute(update(Ticket).where(Ticket.number == seeded["corridor"])
                        .values(confidence=0.05))  # fmt: skip
        category = fee.category
    assert _numbers(sessions, DESK, community="阳光花园") == [seeded["fee"]]
    assert len(_numbers(sessions, DESK, channel="email")) == 4
    assert _numbers(sessions, DESK, channel="sms") == []
    assert seeded["fee"] in _numbers(sessions, DESK, category=category)
    assert _numbers(sessions, DESK, below_confidence=0.5) == [seeded["corridor"]]
    assert seeded["lift"] not in _numbers(sessions, DESK, open_only=True)  # resolved


def test_today_shows_each_stage_with_its_oldest_arrival(
    sessions: sessionmaker[Session], seeded: dict[str, str]
) -> None:
    def item(n: int, hours: int, *, enqueued: bool) -> Inbox:
        at = NOW - timedelta(hours=hours)
        sent = at if enqueued else None
        return Inbox(source="stage", external_id=f"s{n}", channel="email", payload=b"x",
                     received_at=at, created_at=at, enqueued_at=sent)  # fmt: skip

    with sessions.begin() as session:
        session.add_all([item(1, 5, enqueued=False), item(2, 3, enqueued=False),
                         item(3, 7, enqueued=True)])  # fmt: skip
    with sessions() as session:
        stages = {s.stage: s for s in today(session, who=DESK, now=NOW).stages}
    assert (stages["intake"].depth, stages["triage"].depth) == (2, 1)
    assert stages["intake"].oldest is not None
    assert stages["intake"].oldest.timestamp() == (NOW - timedelta(hours=5)).timestamp()
    assert stages["triage"].oldest is not None
    assert stages["triage"].oldest.timestamp() == (NOW - timedelta(hours=7)).timestamp()
