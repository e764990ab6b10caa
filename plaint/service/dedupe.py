"""The dedupe layers of triage that need the database (the first, transport duplicates,
is the inbox's unique key). All run inside the triage transaction.

- Threads: an email replying to a message of a resident's open ticket joins it.
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

Lookups read rows, not ORM objects, through statements built once per shape with their
values bound (building a statement costs more than running it); only an incident that
forms loads and changes its tickets through the ORM.
"""

from __future__ import annotations

import functools
import struct
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, insert, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from plaint.config import Config
from plaint.inbound import ChannelKind, InboundMessage
from plaint.models import (
    OPEN_STATUSES,
    Department,
    Incident,
    Message,
    Notification,
    Resident,
    Ticket,
    TicketLshKey,
    TicketStatus,
)
from plaint.pipeline.similarity import estimate
from plaint.service.events import SYSTEM_ACTOR, record_event
from plaint.service.sla import reselect_policy

__all__ = [
    "Fingerprint",
    "TicketRef",
    "find_continuation",
    "find_near_duplicate",
    "find_thread",
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

# RETURNING: one multi-row INSERT for all the keys (see plaint.service.events).
_INSERT_KEY = insert(TicketLshKey).returning(TicketLshKey.ticket_id)
_INSERT_NOTIFICATION = insert(Notification)


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
    same problem; see :func:`_near_duplicate_query`, which matches the unit in any community
    when one side does not know its community — so the key leaves the community out)."""
    keys = [f"resident:{resident.id}"]
    if resident.building is not None and resident.unit is not None:
        keys.append(f"unit:{resident.building}/{resident.unit}")
    return keys


def series_keys(resident: Resident) -> tuple[list[str], list[str]]:
    """The lock keys covering the series decision for ``resident``, as (exclusive, shared).

    A resident whose building is known groups only with reports from that building: it
    holds ``building:B`` exclusively and its community only *shared*, so residents of
    different buildings of one community triage in parallel. A resident known only by
    community groups with anyone of the community: it holds ``community:C`` exclusively,
    which waits for, and holds off, every shared holder. Any two residents whose reports
    can group (:func:`_series_query`) thus conflict on one key."""
    if resident.building is not None:
        shared = [] if resident.community is None else [f"community:{resident.community}"]
        return [f"building:{resident.building}"], shared
    if resident.community is not None:
        return [f"community:{resident.community}"], []
    return [], []


@dataclass(frozen=True)
class TicketRef:
    """An open ticket a message joins: its id and public number."""

    id: int
    number: str


# The newest open ticket of a resident received since a given instant.
_CONTINUATION = (
    select(Ticket.id, Ticket.number)
    .where(
        Ticket.resident_id == bindparam("resident_id"),
        Ticket.status.in_(OPEN_STATUSES),
        Ticket.received_at >= bindparam("since"),
    )
    .order_by(Ticket.received_at.desc())
    .limit(1)
)


def find_thread(session: Session, message: InboundMessage, resident: Resident) -> TicketRef | None:
    """Return the open ticket an email answers (by the Message-IDs it replies to), if its
    resident sent it."""
    if not message.thread_ids:
        return None
    found = session.execute(
        select(Ticket.id, Ticket.number)
        .join(Message, Message.ticket_id == Ticket.id)
        .where(
            Message.message_id.in_(message.thread_ids),
            Ticket.resident_id == resident.id,
            Ticket.status.not_in((TicketStatus.CLOSED.value,)),
        )
        .order_by(Ticket.id.desc())
        .limit(1)
    ).first()
    return None if found is None else TicketRef(found.id, found.number)


def find_continuation(
    session: Session, message: InboundMessage, resident: Resident, *, config: Config
) -> TicketRef | None:
    """Return the resident's newest open ticket within the window, for SMS and calls."""
    if message.channel not in _VOICE_AND_TEXT:
        return None
    since = message.received_at - config.dedupe.continuation_window
    row = session.execute(_CONTINUATION, {"resident_id": resident.id, "since": since}).first()
    return None if row is None else TicketRef(row.id, row.number)


def _candidates(*columns: InstrumentedAttribute[Any], where: ColumnElement[bool]) -> Select[Any]:
    """``columns`` of the open tickets received since ``:since`` matching ``where``, newest
    first, at most a bounded number: the filters use indexed columns, so the cost does not
    grow with history. Rows, not ORM objects: most candidates are only scored."""
    return (
        select(*columns)
        .where(Ticket.status.in_(OPEN_STATUSES), Ticket.received_at >= bindparam("since"), where)
        .order_by(Ticket.received_at.desc())
        .limit(CANDIDATE_LIMIT)
    )


def _same_community(known: bool) -> ColumnElement[bool]:
    """The community matches ``:community``, or one side does not know it."""
    if not known:
        return true()
    return or_(Resident.community.is_(None), Resident.community == bindparam("community"))


# The queries below are built once per shape (which of the resident's place parts are
# known) with every value bound at execution: building a statement and its cache key
# costs more than running it.


@functools.cache
def _near_duplicate_query(unit: bool, community: bool) -> Select[Any]:
    """Candidates of the same resident (``:resident_id``), or when the ``unit`` is known
    anyone of the same unit, that share an LSH key (``:keys``)."""
    same: ColumnElement[bool] = Ticket.resident_id == bindparam("resident_id")
    if unit:
        in_unit = select(Resident.id).where(
            Resident.building == bindparam("building"),
            Resident.unit == bindparam("unit"),
            _same_community(community),
        )
        same = or_(same, Ticket.resident_id.in_(in_unit))
    # Subqueries, not a join: the planner reads the few tickets sharing a key (through the
    # key index) and the unit's few residents (through the place index).
    keyed = select(TicketLshKey.ticket_id).where(
        TicketLshKey.key.in_(bindparam("keys", expanding=True))
    )
    columns = (Ticket.id, Ticket.number, Ticket.text_signature)
    return _candidates(*columns, where=and_(Ticket.id.in_(keyed), same))


@functools.cache
def _series_query(building: bool, community: bool) -> Select[Any]:
    """Other residents' candidates of the same sub-topic from the same building (community
    permitting) when the ``building`` is known, else from the same community."""
    if building:
        place = and_(Resident.building == bindparam("building"), _same_community(community))
    else:
        place = Resident.community == bindparam("community")
    others = and_(place, Ticket.sub_topic == bindparam("sub_topic"),
                  Ticket.id != bindparam("ticket_id"),
                  Ticket.resident_id != bindparam("resident_id"))  # fmt: skip
    columns = (Ticket.id, Ticket.resident_id, Ticket.text_signature, Resident.building)
    return _candidates(*columns, where=others).join(Resident, Ticket.resident_id == Resident.id)


def _place_values(resident: Resident) -> dict[str, Any]:
    return {"resident_id": resident.id, "building": resident.building, "unit": resident.unit,
            "community": resident.community}  # fmt: skip


def find_near_duplicate(
    session: Session,
    print_: Fingerprint,
    resident: Resident,
    *,
    config: Config,
    received_at: datetime,
) -> tuple[TicketRef, float] | None:
    """Return the open ticket of the same resident or unit whose text is most similar, if
    it reaches the threshold, with the estimated similarity."""
    unit = resident.building is not None and resident.unit is not None
    query = _near_duplicate_query(unit, resident.community is not None)
    values = {**_place_values(resident), "keys": list(print_.keys),
              "since": received_at - config.dedupe.near_duplicate_window}  # fmt: skip
    best: tuple[TicketRef, float] | None = None
    for row in session.execute(query, values):
        similarity = estimate(print_.signature, _unpack(row.text_signature))
        if similarity >= config.dedupe.near_duplicate.threshold and (
            best is None or similarity > best[1]
        ):
            best = (TicketRef(row.id, row.number), similarity)
    return best


def index_ticket(session: Session, ticket: Ticket, print_: Fingerprint) -> None:
    """Store the ticket's signature and LSH keys so later complaints can find it. The
    ticket must have its id; a ticket written with its ``text_signature`` already set
    (:func:`Fingerprint.packed`) is not updated. The keys go in one statement."""
    packed = print_.packed()
    if ticket.text_signature != packed:
        ticket.text_signature = packed
    if print_.keys:
        rows = [{"ticket_id": ticket.id, "key": key} for key in print_.keys]
        session.connection().execute(_INSERT_KEY, rows)


def notify_already_tracked(
    session: Session, ticket: TicketRef, resident: Resident, *, inbox_id: int, now: datetime
) -> None:
    """Queue the message telling the resident the problem is tracked under a number."""
    session.connection().execute(
        _INSERT_NOTIFICATION,
        {"key": f"already_tracked:{inbox_id}", "ticket_id": ticket.id,
         "recipient_kind": "resident", "recipient": str(resident.id),
         "template": "already_tracked", "data": {"ticket": ticket.number}, "urgent": False,
         "not_before": now, "created_at": now, "status": "pending"},
    )  # fmt: skip


def group_series(
    session: Session,
    ticket: Ticket,
    resident: Resident,
    print_: Fingerprint,
    *,
    config: Config,
    now: datetime,
) -> Incident | None:
    """Group ``ticket`` (written, with its id; it may be a draft outside the session) with
    other residents' similar open reports from the same place; return the incident when
    enough residents reported it, else ``None``. The candidates are read as rows; only
    when an incident forms are its tickets loaded and changed through the ORM."""
    if resident.building is None and resident.community is None:
        return None  # the place is unknown
    query = _series_query(resident.building is not None, resident.community is not None)
    values = {**_place_values(resident), "sub_topic": ticket.sub_topic, "ticket_id": ticket.id,
              "since": ticket.received_at - config.dedupe.series_window}  # fmt: skip
    others = [
        row for row in session.execute(query, values)
        if (resident.building is not None and row.building == resident.building)
        or estimate(print_.signature, _unpack(row.text_signature)) >= config.dedupe.series_threshold
    ]  # fmt: skip
    reporters = {row.resident_id for row in others} | {resident.id}
    if len(reporters) < config.dedupe.series_min_reporters:
        return None
    ids = [row.id for row in others] + [ticket.id]
    loaded = {t.id: t for t in session.scalars(select(Ticket).where(Ticket.id.in_(ids)))}
    # Newest first, then this ticket, as the candidates came: the sort is stable.
    members = sorted((loaded[i] for i in ids), key=lambda t: t.received_at)
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
