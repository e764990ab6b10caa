"""The dedupe layers of triage that need the database (the first, transport duplicates,
is the inbox's unique key). All run inside the triage transaction.

- Continuations: an SMS or call from a resident who has an open ticket received within
  the window joins that ticket.
- Near-duplicates: the same resident, or the same unit, reporting the same thing again on
  any channel within the window joins the open ticket, and the resident is told it is
  already tracked. Similar text is found through MinHash LSH band keys kept in an indexed
  table, so the lookup reads only candidates, never the whole history.
- Series complaints (系列投诉): several residents of one building or community reporting
  one problem within the window become one incident; its tickets are raised to level 2
  and routed to one department. One problem means the same sub-topic and, unless the
  reporters live in the same building, similar text.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select, true
from sqlalchemy.orm import Session, contains_eager

from plaint.config import Config
from plaint.inbound import ChannelKind, InboundMessage
from plaint.models import (
    OPEN_STATUSES,
    Department,
    Incident,
    Notification,
    Resident,
    Ticket,
    TicketLshKey,
)
from plaint.pipeline.similarity import estimate
from plaint.service.events import SYSTEM_ACTOR, record_event
from plaint.service.sla import reselect_policy

__all__ = [
    "Fingerprint",
    "find_continuation",
    "find_near_duplicate",
    "fingerprint",
    "group_series",
    "index_ticket",
    "notify_already_tracked",
    "reporter_keys",
    "series_keys",
]

_VOICE_AND_TEXT = (ChannelKind.SMS, ChannelKind.PHONE)
SERIES_LEVEL = 2
# The most candidate tickets one dedupe lookup compares, newest first.
CANDIDATE_LIMIT = 200


@dataclass(frozen=True)
class Fingerprint:
    """A complaint text's MinHash signature and its LSH band keys."""

    signature: tuple[int, ...]
    keys: tuple[str, ...]

    def packed(self) -> bytes:
        """The signature as bytes for the ``tickets.text_signature`` column."""
        return struct.pack(f"<{len(self.signature)}Q", *self.signature)


def fingerprint(text: str, *, config: Config) -> Fingerprint:
    """Return the fingerprint of ``text`` under the configured near-duplicate settings."""
    near = config.dedupe.near_duplicate
    signature = tuple(near.signature(text))
    return Fingerprint(signature, tuple(dict.fromkeys(near.keys(signature))))


def _unpack(data: bytes | None) -> tuple[int, ...]:
    if not data:
        return ()
    return struct.unpack(f"<{len(data) // 8}Q", data)


def reporter_keys(resident: Resident) -> list[str]:
    """The lock keys covering continuation, thread and near-duplicate decisions for
    ``resident``: the resident, and the unit when known (anyone of the unit may report the
    same problem; see :func:`_same_reporter`, which matches the unit in any community
    when one side does not know its community — so the key leaves the community out)."""
    keys = [f"resident:{resident.id}"]
    if resident.building is not None and resident.unit is not None:
        keys.append(f"unit:{resident.building}/{resident.unit}")
    return keys


def series_keys(resident: Resident) -> list[str]:
    """The lock keys covering the series decision for ``resident``: its building and its
    community, each when known. Two residents whose reports can group (:func:`_same_place`)
    always share one of them."""
    keys = []
    if resident.building is not None:
        keys.append(f"building:{resident.building}")
    if resident.community is not None:
        keys.append(f"community:{resident.community}")
    return keys


def find_continuation(
    session: Session, message: InboundMessage, resident: Resident, *, config: Config
) -> Ticket | None:
    """Return the resident's newest open ticket within the window, for SMS and calls."""
    if message.channel not in _VOICE_AND_TEXT:
        return None
    since = message.received_at - config.dedupe.continuation_window
    return session.scalar(
        select(Ticket)
        .where(
            Ticket.resident_id == resident.id,
            Ticket.status.in_(OPEN_STATUSES),
            Ticket.received_at >= since,
        )
        .order_by(Ticket.received_at.desc())
        .limit(1)
    )


def _candidates(
    session: Session, *, since: datetime, where: Sequence[ColumnElement[bool]],
    keys: Sequence[str] | None = None,
) -> list[Ticket]:  # fmt: skip
    """Open tickets received since ``since`` matching ``where`` (and sharing an LSH key,
    through the key index, when ``keys`` are given), newest first, at most a bounded
    number: the filters use indexed columns, so the cost does not grow with history."""
    query = (
        select(Ticket)
        .join(Resident, Ticket.resident_id == Resident.id)
        .options(contains_eager(Ticket.resident))
        .where(Ticket.status.in_(OPEN_STATUSES), Ticket.received_at >= since, *where)
        .order_by(Ticket.received_at.desc())
        .limit(CANDIDATE_LIMIT)
    )
    if keys is not None:
        keyed = select(TicketLshKey.ticket_id).where(TicketLshKey.key.in_(list(keys)))
        query = query.where(Ticket.id.in_(keyed))
    return list(session.scalars(query).unique())


def _same_community(resident: Resident) -> ColumnElement[bool]:
    """The community matches, or one side does not know it."""
    if resident.community is None:
        return true()
    return or_(Resident.community.is_(None), Resident.community == resident.community)


def _same_reporter(resident: Resident) -> ColumnElement[bool]:
    """The same resident, or (when the unit is known) anyone of the same unit."""
    if resident.building is None or resident.unit is None:
        return Ticket.resident_id == resident.id
    unit = and_(Resident.building == resident.building, Resident.unit == resident.unit,
                _same_community(resident))  # fmt: skip
    return or_(Ticket.resident_id == resident.id, unit)


def _same_place(resident: Resident) -> ColumnElement[bool] | None:
    """The same building (community permitting), else the same community; ``None`` when
    the resident's place is unknown."""
    if resident.building is not None:
        return and_(Resident.building == resident.building, _same_community(resident))
    if resident.community is not None:
        return Resident.community == resident.community
    return None


def find_near_duplicate(
    session: Session,
    print_: Fingerprint,
    resident: Resident,
    *,
    config: Config,
    received_at: datetime,
) -> tuple[Ticket, float] | None:
    """Return the open ticket of the same resident or unit whose text is most similar, if
    it reaches the threshold, with the estimated similarity."""
    since = received_at - config.dedupe.near_duplicate_window
    best: tuple[Ticket, float] | None = None
    where = [_same_reporter(resident)]
    for ticket in _candidates(session, since=since, where=where, keys=print_.keys):
        similarity = estimate(print_.signature, _unpack(ticket.text_signature))
        if similarity >= config.dedupe.near_duplicate.threshold and (
            best is None or similarity > best[1]
        ):
            best = (ticket, similarity)
    return best


def index_ticket(session: Session, ticket: Ticket, print_: Fingerprint) -> None:
    """Store the ticket's signature and LSH keys so later complaints can find it."""
    ticket.text_signature = print_.packed()
    session.add_all(TicketLshKey(ticket_id=ticket.id, key=key) for key in print_.keys)


def notify_already_tracked(
    session: Session, ticket: Ticket, resident: Resident, *, inbox_id: int, now: datetime
) -> None:
    """Queue the message telling the resident the problem is tracked under a number."""
    session.add(
        Notification(
            key=f"already_tracked:{inbox_id}",
            ticket_id=ticket.id,
            recipient_kind="resident",
            recipient=str(resident.id),
            template="already_tracked",
            data={"ticket": ticket.number},
            not_before=now,
            created_at=now,
        )
    )


def group_series(
    session: Session,
    ticket: Ticket,
    resident: Resident,
    print_: Fingerprint,
    *,
    config: Config,
    now: datetime,
) -> Incident | None:
    """Group ``ticket`` with other residents' similar open reports from the same place;
    return the incident when enough residents reported it, else ``None``."""
    since = ticket.received_at - config.dedupe.series_window
    place = _same_place(resident)
    if place is None:
        return None
    where = [place, Ticket.sub_topic == ticket.sub_topic, Ticket.id != ticket.id,
             Ticket.resident_id != resident.id]  # fmt: skip
    others = [
        t for t in _candidates(session, since=since, where=where)
        if (resident.building is not None and t.resident is not None
            and t.resident.building == resident.building)
        or estimate(print_.signature, _unpack(t.text_signature)) >= config.dedupe.series_threshold
    ]  # fmt: skip
    reporters = {t.resident_id for t in others} | {resident.id}
    if len(reporters) < config.dedupe.series_min_reporters:
        return None
    members = sorted([*others, ticket], key=lambda t: t.received_at)
    existing = next((t.incident_id for t in members if t.incident_id is not None), None)
    incident = session.get(Incident, existing) if existing is not None else None
    if incident is None:
        incident = Incident(
            sub_topic=ticket.sub_topic,
            community=resident.community,
            building=resident.building,
            department_id=members[0].department_id,
            created_at=now,
        )
        session.add(incident)
        session.flush()
    for member in members:
        _join(session, member, incident, config=config, now=now)
    return incident


def _join(
    session: Session, ticket: Ticket, incident: Incident, *, config: Config, now: datetime
) -> None:
    if ticket.incident_id == incident.id:
        return
    ticket.incident_id = incident.id
    department = session.get(Department, incident.department_id)
    if department is not None:
        ticket.department = department
    data = {"incident": incident.id, "level": SERIES_LEVEL, "department_id": incident.department_id}
    record_event(session, ticket, "incident_joined", at=now, data=data)
    if ticket.level < SERIES_LEVEL:
        ticket.level = SERIES_LEVEL
        reselect_policy(session, ticket, config=config, now=now, actor=SYSTEM_ACTOR)
