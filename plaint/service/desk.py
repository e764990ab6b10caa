"""Complaints taken by the customer-service desk (客服中心): a call, a visit (来访) or a
letter (书面/信函), recorded by a member of staff for a resident.

:func:`take_complaint` finds the resident — by phone number, else email address, else the
one resident at the address given — or adds a new one, and writes the complaint to the
inbox as channel ``desk`` (source ``desk``) with the time the resident complained as its
``received_at`` (so the clocks start then), in the caller's transaction. The caller
enqueues its triage after the commit (:func:`plaint.service.retry.enqueue_stored`), as
for every other channel; triage then treats it like any other item (dedupe, series,
routing, clocks, acknowledgement), honouring the codes the desk chose
(:func:`desk_classification`, :func:`desk_route`).

Idempotent: the inbox row's external id is the acting member's code and the client's
``Idempotency-Key`` (a random id without one), under the inbox's UNIQUE(source,
external_id); a retried request finds its row and writes nothing, and a key reused for a
different complaint is a ConflictError (``code`` "idempotency_key_reused").
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from plaint.channels.base import Delivery
from plaint.channels.desk import DeskMode, DeskPayload, desk_payload, read_desk_payload
from plaint.config import Config
from plaint.errors import ConflictError, MalformedMessageError, NotFoundError
from plaint.inbound import ChannelKind
from plaint.models import Inbox, Message, Resident, Ticket
from plaint.pipeline.classify import Classification
from plaint.pipeline.contacts import normalise_email, normalise_phone
from plaint.pipeline.route import RouteDecision
from plaint.service.directory import StaffIdentity
from plaint.service.locks import lock_keys
from plaint.service.residents import normalise_language
from plaint.service.roles import require_role
from plaint.service.store import dialect_insert, store_delivery

__all__ = [
    "DESK_ROLES",
    "DESK_SOURCE",
    "DeskComplaint",
    "DeskMode",
    "IntakeStatus",
    "Taken",
    "desk_classification",
    "desk_resident",
    "desk_route",
    "desk_taken",
    "intake_status",
    "take_complaint",
]

DESK_SOURCE = "desk"
# Who may record a complaint for a resident.
DESK_ROLES = frozenset({"desk", "property_manager", "regional_manager", "admin"})
# A complaint time this far past ``now`` is a clock skew, not a mistake.
FUTURE_SKEW = timedelta(minutes=5)
MAX_KEY = 200  # characters of an Idempotency-Key


@dataclass(frozen=True)
class DeskComplaint:
    """A complaint as the desk records it. The resident is named by ``phone``, ``email``
    or an address (``building`` and ``unit``, optionally ``community``), at least one of
    them; ``complained_at`` (default: now) is when the resident complained. ``category``,
    ``sub_topic`` and ``department`` are codes the desk chose (None: the classifier's and
    the routing table's)."""

    text: str
    mode: DeskMode = DeskMode.PHONE
    subject: str = ""
    phone: str | None = None
    email: str | None = None
    name: str = ""
    community: str | None = None
    building: str | None = None
    unit: str | None = None
    language: str | None = None
    complained_at: datetime | None = None
    category: str | None = None
    sub_topic: str | None = None
    department: str | None = None


@dataclass(frozen=True)
class Taken:
    """The inbox row of a recorded complaint; ``created`` is false for a retried request."""

    inbox_id: int
    created: bool
    pending: bool
    resident_id: int


def take_complaint(
    session: Session, complaint: DeskComplaint, *, actor: StaffIdentity, config: Config,
    now: datetime, idempotency_key: str | None = None,
) -> Taken:  # fmt: skip
    """Record ``complaint`` by ``actor`` in the inbox (the caller commits, then enqueues
    triage if ``pending``). Raises PermissionDeniedError unless the actor is the desk, a
    manager or an admin; MalformedMessageError (a ``reason`` code) for a bad phone number
    or email, no way to find the resident, several residents at the address, an unknown
    code or a complaint time in the future; ConflictError when ``idempotency_key`` was
    used for another complaint."""
    require_role(actor, DESK_ROLES, action="record complaints")
    codes = _checked_codes(complaint, config)
    received_at = _complained_at(complaint, now=now)
    if idempotency_key is not None and not 0 < len(idempotency_key) <= MAX_KEY:
        raise MalformedMessageError("bad Idempotency-Key", reason="bad_idempotency_key")
    if not complaint.text.strip():
        raise MalformedMessageError("the complaint has no text", reason="empty_text")
    resident = _resident(session, complaint, now=now)
    payload = desk_payload(DeskPayload(
        resident_id=resident.id, actor=actor.code, mode=complaint.mode,
        text=complaint.text.strip(), subject=complaint.subject.strip(),
        contact=resident.phone or resident.email or "", name=resident.name, codes=codes,
    ))  # fmt: skip
    key = idempotency_key or uuid.uuid4().hex
    delivery = Delivery(source=DESK_SOURCE, channel=ChannelKind.DESK,
                        external_id=f"{actor.code}:{key}", payload=payload,
                        received_at=received_at, position="")  # fmt: skip
    item = store_delivery(session, delivery, now=now)
    if not item.created:
        stored = session.scalar(select(Inbox.payload).where(Inbox.id == item.inbox_id))
        if stored != payload:
            raise _KeyReusedError("that Idempotency-Key was used for another complaint")
    return Taken(item.inbox_id, item.created, item.pending, resident.id)


class _KeyReusedError(ConflictError):
    code = "idempotency_key_reused"


def _complained_at(complaint: DeskComplaint, *, now: datetime) -> datetime:
    at = complaint.complained_at or now
    if at.tzinfo is None:
        raise MalformedMessageError("the complaint time has no offset", reason="naive_time")
    if at > now + FUTURE_SKEW:
        raise MalformedMessageError("the complaint time is in the future", reason="future_time")
    return at


def _checked_codes(complaint: DeskComplaint, config: Config) -> dict[str, str]:
    """The desk's codes, checked against the taxonomy and the departments."""
    topics = config.taxonomy.sub_topics
    codes = {k: v for k in ("category", "sub_topic", "department")
             if (v := getattr(complaint, k)) is not None}  # fmt: skip
    if "sub_topic" in codes and codes["sub_topic"] not in topics:
        raise MalformedMessageError("unknown sub-topic", reason="unknown_sub_topic")
    if "category" in codes:
        if codes["category"] not in {category for category, _, _ in topics.values()}:
            raise MalformedMessageError("unknown category", reason="unknown_category")
        if "sub_topic" in codes and topics[codes["sub_topic"]][0] != codes["category"]:
            raise MalformedMessageError("sub-topic of another category", reason="code_mismatch")
    if "department" in codes and codes["department"] not in {d.code for d in config.departments}:
        raise MalformedMessageError("unknown department", reason="unknown_department")
    return codes


def _resident(session: Session, complaint: DeskComplaint, *, now: datetime) -> Resident:
    """The resident the complaint names, else a new one; blanks in a found resident's
    name and address are filled in from the complaint."""
    phone = normalise_phone(complaint.phone) if complaint.phone else None
    email = normalise_email(complaint.email) if complaint.email else None
    if phone is None and email is None and not (complaint.building and complaint.unit):
        raise MalformedMessageError("no phone, email or address", reason="no_resident")
    resident = None
    if phone is not None:
        resident = session.scalar(select(Resident).where(Resident.phone == phone))
    if resident is None and email is not None:
        resident = session.scalar(select(Resident).where(Resident.email == email))
    if resident is None and phone is None and email is None:
        lock_keys(session, [f"resident-place:{complaint.building}:{complaint.unit}"])
        resident = _at_place(session, complaint)
    if resident is None:
        return _new_resident(session, complaint, phone=phone, email=email, now=now)
    for column in ("name", "community", "building", "unit"):
        if not getattr(resident, column) and getattr(complaint, column):
            setattr(resident, column, getattr(complaint, column))
    return resident


def _at_place(session: Session, complaint: DeskComplaint) -> Resident | None:
    query = select(Resident).where(
        Resident.building == complaint.building, Resident.unit == complaint.unit
    )
    if complaint.community:
        query = query.where(Resident.community == complaint.community)
    found = session.scalars(query.limit(2)).all()
    if len(found) > 1:
        raise MalformedMessageError(
            "several residents at that address", reason="ambiguous_resident"
        )
    return found[0] if found else None


def _new_resident(
    session: Session, complaint: DeskComplaint, *, phone: str | None, email: str | None,
    now: datetime,
) -> Resident:  # fmt: skip
    """Insert the resident; a concurrent insert of the same phone or email wins, and its
    row is returned."""
    values = {"name": complaint.name or "", "phone": phone, "email": email,
              "community": complaint.community, "building": complaint.building,
              "unit": complaint.unit, "created_at": now,
              "language": normalise_language(complaint.language or "")}  # fmt: skip
    key = "phone" if phone else "email" if email else None
    statement = dialect_insert(session, Resident).values(values).returning(Resident)
    if key is not None:
        statement = statement.on_conflict_do_nothing(index_elements=[key])
    resident: Resident | None = session.scalar(statement)
    if resident is None:  # the other insert won: read its row
        column = Resident.phone if key == "phone" else Resident.email
        resident = session.scalar(select(Resident).where(column == values[key or ""]))
    if resident is None:
        raise NotFoundError("the resident could not be read back")
    return resident


def desk_resident(session: Session, *, channel: str, payload: bytes) -> Resident | None:
    """For triage: the resident a desk item names (``None`` for other channels)."""
    if channel != ChannelKind.DESK:
        return None
    return session.get(Resident, read_desk_payload(payload).resident_id)


def _desk_codes(channel: str, payload: bytes) -> Mapping[str, str]:
    return read_desk_payload(payload).codes if channel == ChannelKind.DESK else {}


def desk_classification(
    result: Classification, *, channel: str, payload: bytes, config: Config
) -> Classification:
    """For triage: ``result`` with the codes the desk chose, if any. A sub-topic brings its
    category, department and scope from the taxonomy; codes chosen by a person are valid
    and certain (confidence 1), so the ticket is not sent to review."""
    codes = _desk_codes(channel, payload)
    if not codes:
        return result
    changes: dict[str, object] = {"validity": "valid", "confidence": 1.0,
                                  "rules": (*result.rules, "desk")}  # fmt: skip
    topic = codes.get("sub_topic")
    if topic is not None:
        category, department, scope = config.taxonomy.sub_topics[topic]
        changes.update(sub_topic=topic, category=category, department=department, scope=scope)
    elif "category" in codes and codes["category"] != result.category:
        topic = next(t for t, (c, _, _) in config.taxonomy.sub_topics.items()
                     if c == codes["category"])  # fmt: skip
        category, department, scope = config.taxonomy.sub_topics[topic]
        changes.update(sub_topic=topic, category=category, department=department, scope=scope)
    return dataclasses.replace(result, **changes)  # type: ignore[arg-type]


def desk_taken(*, channel: str, payload: bytes) -> dict[str, str]:
    """For triage: who at the desk took a desk item and how, for its "received" event."""
    if channel != ChannelKind.DESK:
        return {}
    value = read_desk_payload(payload)
    return {"taken_by": value.actor, "mode": value.mode.value}


def desk_route(decision: RouteDecision, *, channel: str, payload: bytes) -> RouteDecision:
    """For triage: the department the desk chose, if it chose one, else ``decision``."""
    department = _desk_codes(channel, payload).get("department")
    return decision if department is None else RouteDecision(department, "desk")


@dataclass(frozen=True)
class IntakeStatus:
    """Where a desk item is: the inbox row's ``status`` (pending, done, quarantined) and,
    once triaged, the number of the ticket it opened or joined."""

    inbox_id: int
    status: str
    ticket: str | None
    error: str | None


def intake_status(session: Session, inbox_id: int, *, actor: StaffIdentity) -> IntakeStatus:
    """The status of desk inbox row ``inbox_id``; NotFoundError if there is none (or it is
    not a desk item); PermissionDeniedError for roles that do not record complaints."""
    require_role(actor, DESK_ROLES, action="read complaints taken by the desk")
    row = session.execute(
        select(Inbox.id, Inbox.status, Inbox.error).where(
            Inbox.id == inbox_id, Inbox.source == DESK_SOURCE
        )
    ).first()
    if row is None:
        raise NotFoundError(f"no desk item {inbox_id}")
    number = session.scalar(
        select(Ticket.number).join(Message, Message.ticket_id == Ticket.id)
        .where(Message.inbox_id == inbox_id)
    )  # fmt: skip
    return IntakeStatus(row.id, row.status, number, row.error)
