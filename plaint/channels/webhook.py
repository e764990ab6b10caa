"""Outbound webhooks: one event posted as JSON to a receiver's URL, signed.

The signature is HMAC-SHA256, keyed with the secret in the environment variable the
configuration names (``Outgoing.credential``), over ``f"{t}."`` followed by the exact
body bytes, where ``t`` is the Unix time of the attempt; it is sent as
``Plaint-Signature: t=<t>,v1=<hex>`` (the scheme Stripe and GitHub receivers know: check
``t`` is recent, recompute, compare in constant time). ``Plaint-Event`` names the event and
``Plaint-Delivery`` carries the notification's unique key, the same on every retry.

Outcomes, for the outbox's retry policy: a 2xx is sent; a 408, 429 or 5xx, a timeout or
a connection failure is transient (a ``Retry-After`` in seconds is honoured); any other
status is permanent (the receiver refused this event), as is a secret missing from the
environment. A receiver cannot be asked whether an earlier attempt arrived
(:meth:`WebhookSender.find_sent` answers ``None``), so an attempt whose result was never
recorded is posted again with the same ``Plaint-Delivery``: receivers deduplicate on it.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping

import httpx

from plaint.channels.outbound import Outgoing, PermanentSendError, SendResult, TransientSendError

__all__ = ["SIGNATURE_HEADER", "WebhookSender", "sign", "verify"]

SIGNATURE_HEADER = "Plaint-Signature"
# Seconds to connect and to wait for the answer: a receiver slower than this is retried
# later rather than holding the dispatcher (httpx's default of 5 s for everything is kept
# for connecting; the read may take longer, as receivers often write before answering).
TIMEOUT = httpx.Timeout(5.0, read=15.0)
_TRANSIENT_STATUS = frozenset({408, 425, 429})


def sign(secret: bytes, *, timestamp: int, body: bytes) -> str:
    """The ``Plaint-Signature`` value of ``body`` sent at ``timestamp`` (Unix seconds)."""
    digest = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: bytes, *, header: str, body: bytes, now: float, tolerance: float = 300) -> bool:
    """Whether ``header`` is a valid signature of ``body`` made within ``tolerance``
    seconds of ``now`` (what a receiver does; used by plaint's tests)."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp=timestamp, body=body)
    return hmac.compare_digest(expected, header)


class WebhookSender:
    """Posts webhook notifications with one pooled HTTP client (thread-safe)."""

    channel = "webhook"

    def __init__(
        self, environ: Mapping[str, str], *, client: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:  # fmt: skip
        self._environ = environ
        self._client = client or httpx.Client(timeout=TIMEOUT, follow_redirects=False)
        self._clock = clock

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> WebhookSender:
        """A sender reading signing secrets from ``environ`` (always configured: which
        webhooks exist is business configuration, not the environment's)."""
        return cls(environ)

    def send(self, message: Outgoing) -> SendResult:
        """POST ``message.body`` to ``message.recipient``; raise TransientSendError or
        PermanentSendError as the module docstring says. Blocks on the network."""
        secret = self._environ.get(message.credential, "") if message.credential else ""
        if not secret:
            raise PermanentSendError("webhook secret not set", code="secret_missing")
        body = message.body.encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(secret.encode(), timestamp=int(self._clock()), body=body),
            "Plaint-Event": message.subject,
            "Plaint-Delivery": message.key,
            "User-Agent": "plaint-webhook",
        }
        try:
            response = self._client.post(message.recipient, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise TransientSendError("webhook timeout") from exc
        except httpx.HTTPError as exc:
            raise TransientSendError(f"webhook unreachable ({type(exc).__name__})") from exc
        return _result(response, key=message.key)

    def find_sent(self, message: Outgoing) -> SendResult | None:
        """Always ``None``: a receiver cannot be asked (it deduplicates on
        ``Plaint-Delivery`` instead)."""
        return None


def _result(response: httpx.Response, *, key: str) -> SendResult:
    status = response.status_code
    if 200 <= status < 300:
        return SendResult(provider_id=key, status=str(status))
    if status >= 500 or status in _TRANSIENT_STATUS:
        raise TransientSendError(f"webhook http {status}", retry_after=_retry_after(response))
    raise PermanentSendError(f"webhook http {status}", code=str(status))


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None
