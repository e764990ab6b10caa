"""What each resident of the demo wrote and received, as the summary table shows it.

Read after the demo's outbox is empty: the tickets and their inbound messages from the
database; what went out from where it arrived — the SMS bodies the Twilio stand-in
accepted and the subjects of the mails the SMTP sink accepted — matched to residents by
their phone number and email address. What no resident received (a message to staff) is
counted apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from plaint.demo.smtp_sink import Received

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["CHANNEL_NAMES", "Delivered", "ResidentSummary", "print_summary", "summarise"]

# The channels in the table's words.
CHANNEL_NAMES = {"email": "邮件", "sms": "短信", "phone": "电话"}
SUMMARY_HEADERS = ("住户", "来信渠道", "工单", "类别 / 部门", "收到的短信与邮件")


@dataclass(frozen=True)
class Delivered:
    """One message that arrived: on ``channel`` ("sms" or "email"), to ``address``;
    ``text`` is the SMS body or the mail's subject."""

    channel: str
    address: str
    text: str


@dataclass(frozen=True)
class ResidentSummary:
    """One resident: the channels they wrote on, their tickets (number, and what it was
    filed as and where it went), and what they received, in arrival order."""

    name: str
    came_in: tuple[str, ...]
    tickets: tuple[str, ...]
    filed: tuple[str, ...]
    received: tuple[Delivered, ...]


def delivered(sms: Sequence[Mapping[str, Any]], mails: Sequence[Received]) -> list[Delivered]:
    """The stand-in's ``sent()`` records and the sink's messages as :class:`Delivered`."""
    out = [Delivered("sms", str(m["to"]), str(m["body"])) for m in sms]
    for mail in mails:
        subject = str(mail.mail["Subject"] or "")
        out.extend(Delivered("email", rcpt.lower(), subject) for rcpt in mail.rcpt_tos)
    return out


def summarise(
    database_url: str, *, arrived: Sequence[Delivered]
) -> tuple[list[ResidentSummary], list[Delivered]]:
    """The residents who have a ticket, by their first ticket, with what ``arrived`` for
    them; and what arrived for nobody among them."""
    from plaint.models import create_db_engine, session_factory

    engine = create_db_engine(database_url)
    try:
        with session_factory(engine)() as session:
            rows = _resident_rows(session)
    finally:
        engine.dispose()
    return _match(rows, arrived)


def _resident_rows(session: Session) -> list[dict[str, Any]]:
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from plaint.models import Ticket
    from plaint.pipeline.texts import filed_as

    rows: dict[int, dict[str, Any]] = {}
    loads = (selectinload(Ticket.messages), selectinload(Ticket.resident))
    for ticket in session.scalars(select(Ticket).options(*loads).order_by(Ticket.id)):
        resident = ticket.resident
        if resident is None:
            continue
        row = rows.setdefault(resident.id, {
            "name": resident.name or resident.phone or resident.email or "",
            "phone": resident.phone, "email": (resident.email or "").lower(),
            "came_in": [], "tickets": [], "filed": [],
        })  # fmt: skip
        for message in ticket.messages:
            if message.direction == "in" and message.channel not in row["came_in"]:
                row["came_in"].append(message.channel)
        what = filed_as(category=ticket.category, sub_topic=ticket.sub_topic, language="zh")
        row["tickets"].append(ticket.number)
        row["filed"].append(f"{what} / {ticket.department.name}")
    return list(rows.values())


def _match(
    rows: list[dict[str, Any]], arrived: Sequence[Delivered]
) -> tuple[list[ResidentSummary], list[Delivered]]:
    claimed: set[int] = set()
    out = []
    for row in rows:
        mine = [i for i, d in enumerate(arrived)
                if d.address in (row["phone"], row["email"]) and d.address]  # fmt: skip
        claimed.update(mine)
        out.append(ResidentSummary(
            name=row["name"], came_in=tuple(row["came_in"]), tickets=tuple(row["tickets"]),
            filed=tuple(row["filed"]), received=tuple(arrived[i] for i in mine),
        ))  # fmt: skip
    return out, [d for i, d in enumerate(arrived) if i not in claimed]


def print_summary(residents: Sequence[ResidentSummary], others: Sequence[Delivered]) -> None:
    """Print the table: one resident a row, a ticket or a received message a line."""
    from plaint.cli.output import print_table

    table = [
        [r.name, "、".join(CHANNEL_NAMES.get(c, c) for c in r.came_in), "\n".join(r.tickets),
         "\n".join(r.filed),
         "\n".join(f"{CHANNEL_NAMES[d.channel]}：{d.text}" for d in r.received) or "（无）"]
        for r in residents
    ]  # fmt: skip
    print("\n每位住户的来信、工单和收到的回复（短信取自 Twilio 替身，邮件取自本地 SMTP 服务器）：")
    print_table(SUMMARY_HEADERS, table)
    sms = sum(d.channel == "sms" for r in residents for d in r.received)
    mails = sum(d.channel == "email" for r in residents for d in r.received)
    print(f"\n{len(residents)} 位住户收到短信 {sms} 条、邮件 {mails} 封；"
          f"发给工作人员的 {len(others)} 条")  # fmt: skip
