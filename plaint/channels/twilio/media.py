"""MMS media: fetched with the account's credentials, size-limited, kept in the payload.

An MMS arrives with ``MediaUrl0..N`` (webhook) or a Media list (REST). Each item is
fetched once, before the message is stored, and kept base64-encoded in the inbox
payload beside the text, as an email keeps its attachments in its raw message: the
inbox row stays the one record of what arrived. An item over :data:`MAX_MEDIA_BYTES`
is recorded with its type and ``"skipped": "too_large"``, without its bytes; one that
cannot be fetched is recorded with ``"skipped": "unavailable"`` (the text still counts).
Redirects to Twilio's storage are followed; ``requests`` drops the credentials when a
redirect leaves the host.
"""

from __future__ import annotations

import base64
import logging
from typing import Any

import requests

from plaint.channels.twilio.client import TIMEOUT_SECONDS, rewrite_url
from plaint.config.twilio import TwilioSettings

__all__ = ["MAX_MEDIA_BYTES", "fetch_media"]

logger = logging.getLogger(__name__)

# Bytes kept of one media item: Twilio's own MMS limit is 5 MB for the whole message.
MAX_MEDIA_BYTES = 5 * 1024 * 1024
_CHUNK = 64 * 1024


def fetch_media(
    settings: TwilioSettings, items: list[tuple[str, str]], *, max_bytes: int = MAX_MEDIA_BYTES
) -> list[dict[str, Any]]:
    """Fetch each ``(url, content_type)`` in ``items``; return one JSON-ready entry per item
    (``content_type``, ``size``, and ``data`` in base64 or ``skipped`` with a reason).
    Never raises for one bad item; blocks up to the client timeout per item."""
    auth = (settings.account_sid, settings.auth_token)
    return [
        _fetch(rewrite_url(url, settings.api_url), kind, auth, max_bytes) for url, kind in items
    ]


def _fetch(url: str, kind: str, auth: tuple[str, str], max_bytes: int) -> dict[str, Any]:
    entry: dict[str, Any] = {"content_type": kind, "size": 0}
    try:
        with requests.get(url, auth=auth, stream=True, timeout=TIMEOUT_SECONDS) as response:
            response.raise_for_status()
            entry["content_type"] = response.headers.get("Content-Type", kind)
            data = bytearray()
            for chunk in response.iter_content(_CHUNK):
                data += chunk
                if len(data) > max_bytes:
                    return {**entry, "size": len(data), "skipped": "too_large"}
    except requests.RequestException as exc:
        logger.warning("mms media unavailable: %s", type(exc).__name__)
        return {**entry, "skipped": "unavailable"}
    return {**entry, "size": len(data), "data": base64.b64encode(bytes(data)).decode("ascii")}
