"""The exactly-once accounting of a chaos scenario or a soak: what plaint's database, the
Twilio stand-in and the SMTP server hold after a load (:func:`observe`), and the lost and
duplicated effects counted from that (:func:`tally`, pure: a unit test feeds it counters).

An item is *lost* when it never became a done (or an expected quarantined) inbox row with
its one message, a notification when it is recorded sent but absent at the peer or still
unsent; an effect is *duplicated* when an item has two messages, a resident two tickets,
an SMS or a mail arrived twice, or an SLA mark was written twice.

One exception, by design (:mod:`plaint.channels.email.smtp`): SMTP cannot be asked what
it took, so a mail whose attempt went unrecorded (the dispatcher died, or the database
went away, between the server's 250 and the commit) is sent again *with the same
Message-ID* when its lease runs out, as a new attempt. Such a repeat is counted apart
(``figures["mails_resent_in_doubt"]``), and only as far as the row's recorded attempts
explain it: a mail seen more often than its row was attempted, or a Message-ID plaint
never recorded, is a duplicate.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func, select

from plaint.models import Inbox, InboxStatus, Message, Notification, SlaMark


@dataclass(frozen=True)
class Observed:
    """The raw counts after a load."""

    statuses: Counter[str]  # inbox rows by status
    per_row: list[int]  # messages per inbox row that has any
    senders: list[tuple[int, str]]  # (ticket id, sender) of every inbound message
    notices: list[tuple[str | None, str, str | None]]  # (channel, status, provider id)
    texts: list[dict[str, Any]]  # the SMS the Twilio stand-in accepted
    mails: list[str]  # the Message-IDs the SMTP server accepted
    marks: list[int]  # rows per (ticket, clock, cycle, mark) of the SLA marks
    mail_attempts: dict[str, int] = field(default_factory=dict)  # Message-ID → attempts


@dataclass(frozen=True)
class Tally:
    """Lost and duplicated effects, each by kind (zero everywhere is exactly once)."""

    lost: dict[str, int] = field(default_factory=dict)
    duplicated: dict[str, int] = field(default_factory=dict)
    figures: dict[str, int] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not any(self.lost.values()) and not any(self.duplicated.values())

    def problems(self) -> list[str]:
        """One line per non-zero count, e.g. ``lost sms: 1``."""
        return [f"{what} {kind}: {n}" for what, counts in
                (("lost", self.lost), ("duplicated", self.duplicated))
                for kind, n in counts.items() if n]  # fmt: skip


def observe(engine: Engine, *, texts: list[dict[str, Any]], mails: list[str]) -> Observed:
    """Read the counts from plaint's database; ``texts`` and ``mails`` are what the
    Twilio stand-in and the SMTP server received."""
    with engine.connect() as connection:
        statuses = Counter(s for (s,) in connection.execute(select(Inbox.status)))
        per_row = connection.execute(
            select(func.count()).where(Message.inbox_id.is_not(None)).group_by(Message.inbox_id)
        ).scalars().all()  # fmt: skip
        senders = connection.execute(
            select(Message.ticket_id, Message.sender).where(Message.direction == "in")
        ).all()
        notices = connection.execute(
            select(Notification.channel, Notification.status, Notification.provider_id)
        ).all()
        attempts = connection.execute(
            select(Notification.provider_id, Notification.attempts)
            .where(Notification.channel == "email", Notification.provider_id.is_not(None))
        ).all()  # fmt: skip
        marks = connection.execute(
            select(func.count()).select_from(SlaMark)
            .group_by(SlaMark.ticket_id, SlaMark.clock, SlaMark.cycle, SlaMark.mark)
        ).scalars().all()  # fmt: skip
    return Observed(statuses=statuses, per_row=list(per_row),
                    senders=[(t, s) for t, s in senders],
                    notices=[(c, s, p) for c, s, p in notices], texts=texts, mails=mails,
                    marks=list(marks),
                    mail_attempts={str(p): int(n) for p, n in attempts})  # fmt: skip


def tally(seen: Observed, *, items: int, residents: int, quarantined: int = 0) -> Tally:
    """Count what ``items`` offered items from ``residents`` residents (``quarantined`` of
    them poison) left behind: see the module docstring for what counts as what."""
    done = seen.statuses.get(InboxStatus.DONE, 0)
    stuck = sum(n for s, n in seen.statuses.items()
                if s not in (InboxStatus.DONE, InboxStatus.QUARANTINED))  # fmt: skip
    by_ticket: dict[int, set[str]] = {}
    for ticket, sender in seen.senders:
        by_ticket.setdefault(ticket, set()).add(sender)
    sms = {p for c, s, p in seen.notices if c == "sms" and s == "sent"}
    sids = [t["sid"] for t in seen.texts]
    sent_mails = sum(1 for c, s, _ in seen.notices if c == "email" and s == "sent")
    per_mail = Counter(seen.mails)
    resent = sum(min(n, seen.mail_attempts.get(m, 1)) - 1 for m, n in per_mail.items())
    lost = {
        "items": max(0, items - done),
        "quarantine_mismatch": abs(quarantined - seen.statuses.get(InboxStatus.QUARANTINED, 0)),
        "stuck_in_inbox": stuck,
        "messages": max(0, items - len(seen.per_row)),
        "tickets": max(0, residents - len(by_ticket)),
        "unsent_notices": sum(1 for _, s, _ in seen.notices if s in ("pending", "sending")),
        "sms": len(sms - set(sids)),
        "mails": max(0, sent_mails - len(set(seen.mails))),
    }  # fmt: skip
    duplicated = {
        "items": max(0, done - items),
        "messages": sum(n - 1 for n in seen.per_row if n > 1),
        "inbound_messages": max(0, len(seen.senders) - items),
        "tickets": max(0, len(by_ticket) - residents),
        "mixed_tickets": sum(1 for s in by_ticket.values() if len(s) > 1),
        # A resend shows as a SID plaint did not record and as a repeated (to, body).
        "sms": max(len(sids) - len(set(sids)), len(set(sids) - sms),
                   len(sids) - len({(t["to"], t["body"]) for t in seen.texts})),
        "mails": max(len(seen.mails) - len(per_mail) - resent, len(per_mail) - sent_mails),
        "sla_marks": sum(n - 1 for n in seen.marks if n > 1),
    }  # fmt: skip
    failed = sum(1 for _, s, _ in seen.notices if s == "failed")
    figures = {"items": items, "residents": residents, "tickets": len(by_ticket),
               "sms": len(sids), "mails": len(seen.mails), "sla_marks": len(seen.marks),
               "failed_notices": failed, "mails_resent_in_doubt": resent}  # fmt: skip
    return Tally(lost=lost, duplicated=duplicated, figures=figures)
