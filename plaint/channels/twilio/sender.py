"""The SMS sender of the outbox (:class:`plaint.channels.outbound.Sender`) through Twilio.

Each message carries its notification key in its StatusCallback URL
(``PLAINT_PUBLIC_URL/webhooks/twilio/status?key=…``), so delivery callbacks land on the
right notification. Twilio's Message resource does not give the StatusCallback back, so
:meth:`TwilioSender.find_sent` recognises an earlier attempt by recipient and body among
the messages created since the first attempt (newest first, paged, stopping at the first
older one): two notifications with the same text to the same number within one retry
window are taken for one — acknowledgements and replies carry the ticket number, so they
differ.

The body is sent whole, never truncated; its segment count (GSM-7 160/153, UCS-2 70/67)
is returned in the result. Errors: 429, 5xx and network failures → TransientSendError
(with Twilio's ``Retry-After``); a refusal (4xx with a Twilio error code) →
PermanentSendError with that code — 21610 means the recipient opted out, and the
dispatcher records it with :func:`plaint.service.optout.opt_out`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from plaint.channels.outbound import Outgoing, PermanentSendError, SendResult, TransientSendError
from plaint.channels.twilio.client import TwilioBusyError, make_client
from plaint.config.twilio import TwilioSettings, load_twilio_settings
from plaint.errors import ConfigError, MalformedMessageError
from plaint.pipeline.contacts import normalise_phone
from plaint.pipeline.smstext import segment_count

__all__ = ["CLOCK_SKEW", "STATUS_PATH", "TwilioSender", "from_environ"]

logger = logging.getLogger(__name__)

STATUS_PATH = "/webhooks/twilio/status"
# Twilio's clock and ours may disagree by this much when looking for an earlier attempt.
CLOCK_SKEW = timedelta(minutes=5)
# Messages listed per page while looking for an earlier attempt.
PAGE_SIZE = 50


class TwilioSender:
    """Sends SMS through one Twilio account (see the module docstring)."""

    channel = "sms"

    def __init__(self, settings: TwilioSettings, *, client: Client | None = None) -> None:
        if not settings.sender:
            raise ConfigError("PLAINT_TWILIO_FROM is not set (a number or a Messaging Service)")
        self._settings = settings
        self._client = client or make_client(settings)

    def send(self, message: Outgoing) -> SendResult:
        """Create the message at Twilio; raise TransientSendError or PermanentSendError."""
        to = _recipient(message)
        params: dict[str, Any] = {"to": to, "body": message.body}
        if self._settings.messaging_service:
            params["messaging_service_sid"] = self._settings.sender
        else:
            params["from_"] = self._settings.sender
        if self._settings.public_url:
            query = urlencode({"key": message.key})
            params["status_callback"] = f"{self._settings.public(STATUS_PATH)}?{query}"
        with _translated():
            created = self._client.messages.create(**params)
        logger.info("notification sent as twilio message %s", created.sid)
        return SendResult(
            provider_id=str(created.sid), status=str(created.status),
            segments=segment_count(message.body),
        )  # fmt: skip

    def find_sent(self, message: Outgoing) -> SendResult | None:
        """Twilio's record of an earlier send of ``message`` (same recipient and body,
        created since its first attempt), or ``None``; TransientSendError when Twilio
        cannot be asked."""
        to = _recipient(message)
        since = message.first_attempt_at - CLOCK_SKEW
        with _translated():
            for sent in self._client.messages.stream(to=to, page_size=PAGE_SIZE):
                if sent.date_created is not None and sent.date_created < since:
                    return None
                if sent.body == message.body and str(sent.direction).startswith("outbound"):
                    return SendResult(
                        provider_id=str(sent.sid), status=str(sent.status),
                        segments=segment_count(message.body),
                    )  # fmt: skip
        return None


def _recipient(message: Outgoing) -> str:
    try:
        return normalise_phone(message.recipient)
    except MalformedMessageError as exc:
        raise PermanentSendError("bad_phone") from exc


@contextmanager
def _translated() -> Iterator[None]:
    """The client's failures as the outbox's two kinds."""
    try:
        yield
    except TwilioBusyError as exc:
        raise TransientSendError(exc.reason, retry_after=exc.retry_after) from exc
    except TwilioRestException as exc:
        code = None if exc.code is None else str(exc.code)
        raise PermanentSendError(f"twilio {code or exc.status}", code=code) from exc
    except TwilioException as exc:  # a page of a list refused (bad credentials)
        raise PermanentSendError("twilio refused a list page") from exc


def from_environ(environ: Mapping[str, str]) -> TwilioSender | None:
    """The outbox's factory (:data:`plaint.channels.SENDERS` ``"sms"``): the sender the
    environment configures, or ``None`` when Twilio is not configured or has no
    ``PLAINT_TWILIO_FROM`` (a site that only receives texts; its SMS notifications wait,
    held with the reason "no sender configured for sms"). Raises ConfigError for a
    half-set account."""
    settings = load_twilio_settings(environ)
    if settings is None or not settings.sender:
        return None
    return TwilioSender(settings)
