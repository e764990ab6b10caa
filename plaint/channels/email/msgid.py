"""Signed Message-IDs: plaint's own outbound mail is recognisable when it comes back.

An outbound Message-ID is ``<plaint.{digest}.{token}@{domain}>`` where ``token`` is derived
from the notification key (so a resend of one notification carries the same Message-ID and
the SMTP sender can recognise an earlier attempt) and ``digest`` is an HMAC-SHA256 of the
token under the installation's secret (``PLAINT_SECRET_KEY``), so nobody else can mint an
id that passes :func:`is_our_message_id`.
"""

from __future__ import annotations

import hashlib
import hmac
import re

__all__ = ["is_our_message_id", "make_message_id"]

_PATTERN = re.compile(r"<?plaint\.([0-9a-f]{16})\.([0-9a-f]{32})@[^>\s]+>?")


def _token(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _digest(token: str, secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), token.encode("ascii"), hashlib.sha256).hexdigest()[:16]


def make_message_id(key: str, *, secret: str, domain: str) -> str:
    """Return the Message-ID (with angle brackets) of the notification ``key``; the same
    key, secret and domain always give the same id."""
    token = _token(key)
    return f"<plaint.{_digest(token, secret)}.{token}@{domain}>"


def is_our_message_id(value: str, *, secret: str) -> bool:
    """True when ``value`` (a Message-ID, or one entry of In-Reply-To/References) was made
    by :func:`make_message_id` under ``secret``."""
    match = _PATTERN.fullmatch(value.strip())
    if match is None:
        return False
    digest, token = match.groups()
    return hmac.compare_digest(digest, _digest(token, secret))
