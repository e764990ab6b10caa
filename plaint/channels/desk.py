"""Complaints the customer-service desk records (by telephone, in person — 来访 — or in
writing — 书面/信函) as stored in the inbox: one JSON object, written by
:func:`desk_payload` and read back by :func:`parse_desk`.

The resident is found (or created) when the desk records the complaint, so the payload
names them by id; ``contact`` is their phone number or email address, if any, kept as the
message's sender. ``codes`` are the codes the desk chose (``category``, ``sub_topic``,
``department``), honoured by triage instead of the classifier's.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from plaint.channels.jsonpayload import load_object
from plaint.errors import MalformedMessageError
from plaint.inbound import ChannelKind, InboundMessage

__all__ = ["DeskMode", "DeskPayload", "desk_payload", "parse_desk", "read_desk_payload"]


class DeskMode(enum.StrEnum):
    """How the resident brought the complaint to the desk."""

    PHONE = "phone"  # 电话
    VISIT = "visit"  # 来访
    LETTER = "letter"  # 书面/信函


@dataclass(frozen=True)
class DeskPayload:
    """What the desk recorded: who took it (``actor``, a staff code), from whom
    (``resident_id``, with ``contact`` their phone or email or ``""``), how, and the
    complaint itself; ``codes`` maps ``category``/``sub_topic``/``department`` to codes."""

    resident_id: int
    actor: str
    mode: DeskMode
    text: str
    subject: str = ""
    contact: str = ""
    name: str = ""
    codes: Mapping[str, str] = field(default_factory=dict)


def desk_payload(value: DeskPayload) -> bytes:
    """The inbox payload of ``value`` (UTF-8 JSON)."""
    data = {"resident_id": value.resident_id, "actor": value.actor, "mode": value.mode.value,
            "text": value.text, "subject": value.subject, "contact": value.contact,
            "name": value.name, "codes": dict(value.codes)}  # fmt: skip
    return json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")


def read_desk_payload(payload: bytes) -> DeskPayload:
    """Read a stored desk payload; raise MalformedMessageError(reason="bad_desk_payload")
    when it is not one (bad JSON: reason "bad_json")."""
    data = load_object(payload)
    try:
        return DeskPayload(
            resident_id=int(data["resident_id"]), actor=str(data["actor"]),
            mode=DeskMode(data["mode"]), text=str(data["text"]),
            subject=str(data.get("subject", "")), contact=str(data.get("contact", "")),
            name=str(data.get("name", "")), codes=_codes(data.get("codes")),
        )  # fmt: skip
    except (KeyError, ValueError, TypeError) as exc:
        raise MalformedMessageError("not a desk payload", reason="bad_desk_payload") from exc


def _codes(raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise TypeError("codes is not an object")
    return {str(k): str(v) for k, v in raw.items() if v is not None}


def parse_desk(payload: bytes, *, received_at: datetime) -> InboundMessage:
    """Parse a stored desk complaint: ``received_at`` is when the resident complained."""
    value = read_desk_payload(payload)
    return InboundMessage(
        channel=ChannelKind.DESK,
        sender=value.contact,
        subject=value.subject,
        body=value.text,
        received_at=received_at,
        sender_name=value.name,
    )
