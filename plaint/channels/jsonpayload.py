"""Reading the JSON payloads that the SMS and phone channels store in the inbox."""

from __future__ import annotations

import json
from typing import Any

from plaint.errors import MalformedMessageError
from plaint.pipeline.contacts import normalise_phone

__all__ = ["load_object", "sender_phone"]


def load_object(payload: bytes) -> dict[str, Any]:
    """Return the JSON object in ``payload``; MalformedMessageError(reason="bad_json")
    when it is not UTF-8 JSON holding an object."""
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedMessageError("payload is not JSON", reason="bad_json") from exc
    if not isinstance(data, dict):
        raise MalformedMessageError("payload is not a JSON object", reason="bad_json")
    return data


def sender_phone(data: dict[str, Any], *keys: str) -> str:
    """Return the first of ``keys`` that holds a valid phone number, in E.164; raise
    MalformedMessageError(reason="bad_phone") when none does (withheld numbers too)."""
    for key in keys:
        raw = data.get(key)
        if isinstance(raw, str) and raw.strip():
            return normalise_phone(raw)
    raise MalformedMessageError("no caller phone number", reason="bad_phone")
