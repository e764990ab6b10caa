"""Pull mode for sites Twilio cannot call: inbound SMS listed through the REST API.

The cursor is a :class:`~plaint.channels.twilio.cursor.Mark`: the send time of the newest
acked message and the SIDs acked at that second. Each pull lists the messages sent since
then (``DateSent>``, paged by the client), keeps the inbound ones not yet acked and hands
back the oldest ``limit``. A message the webhook stored first is absorbed by the inbox's
unique key (both paths write :func:`plaint.channels.twilio.items.sms`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Self

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from plaint.channels.base import CursorStore, Delivery
from plaint.channels.twilio import items
from plaint.channels.twilio.client import TwilioBusyError, make_client
from plaint.channels.twilio.cursor import Mark, decode_position, encode_position
from plaint.channels.twilio.media import fetch_media
from plaint.config.twilio import TwilioSettings, load_twilio_settings
from plaint.errors import ChannelUnavailableError, ConfigError
from plaint.inbound import ChannelKind

if TYPE_CHECKING:
    from plaint.config import SourceConfig

__all__ = [
    "PAGE_SIZE", "TwilioAdapter", "TwilioSmsChannel", "load_mark", "require_settings",
    "twilio_errors", "utc",
]  # fmt: skip

PAGE_SIZE = 100


@contextmanager
def twilio_errors() -> Iterator[None]:
    """Twilio's failures (unreachable, throttled, refused) as ChannelUnavailableError."""
    try:
        yield
    except TwilioBusyError as exc:
        raise ChannelUnavailableError(f"twilio: {exc.reason}") from exc
    except TwilioRestException as exc:
        raise ChannelUnavailableError(f"twilio: HTTP {exc.status} code {exc.code}") from exc
    except TwilioException as exc:  # a page of a list refused (bad credentials)
        raise ChannelUnavailableError("twilio: a list page was refused") from exc


def require_settings(environ: Mapping[str, str]) -> TwilioSettings:
    """The Twilio settings of ``environ``; ConfigError when Twilio is not configured."""
    settings = load_twilio_settings(environ)
    if settings is None:
        raise ConfigError("a twilio source needs PLAINT_TWILIO_ACCOUNT_SID and _AUTH_TOKEN")
    return settings


def load_mark(raw: str | None) -> Mark | None:
    """The mark stored as the JSON text ``raw``."""
    return Mark.from_json(json.loads(raw)) if raw else None


def utc(value: datetime | None) -> datetime:
    """A Twilio time in UTC; a missing one (not yet set by Twilio) is now."""
    return (value or datetime.now(UTC)).astimezone(UTC)


def _sent(message: Any) -> datetime:
    return utc(message.date_sent or message.date_created)


class TwilioAdapter:
    """What the Twilio pull adapters share: the source name, the account's client and the
    cursor store; built from a configured source by :meth:`from_config`."""

    def __init__(
        self, source: str, *, settings: TwilioSettings, cursors: CursorStore,
        client: Client | None = None,
    ) -> None:  # fmt: skip
        self.source = source
        self._settings = settings
        self._cursors = cursors
        self._client = client or make_client(settings)

    @classmethod
    def from_config(
        cls, source: SourceConfig, *, cursors: CursorStore, environ: Mapping[str, str]
    ) -> Self:
        """The adapter of a configured twilio source; ConfigError without an account."""
        return cls(source.name, settings=require_settings(environ), cursors=cursors)

    def close(self) -> None:
        """Nothing to release: the client's connections close with it."""


class TwilioSmsChannel(TwilioAdapter):
    """Inbound SMS of one Twilio account, listed since the stored cursor."""

    kind = ChannelKind.SMS

    def pull(self, *, limit: int) -> list[Delivery]:
        """Up to ``limit`` inbound messages sent since the cursor, oldest first; raises
        ChannelUnavailableError when Twilio cannot be reached or refuses."""
        mark = load_mark(self._cursors.load(self.source))
        filters: dict[str, Any] = {"page_size": PAGE_SIZE}
        if mark is not None:
            filters["date_sent_after"] = mark.at
        if self._settings.sender and not self._settings.messaging_service:
            filters["to"] = self._settings.sender
        with twilio_errors():
            found = [
                m for m in self._client.messages.stream(**filters)
                if str(m.direction) == "inbound" and not (mark and mark.covers(_sent(m), m.sid))
            ]  # fmt: skip
            # Listed newest first, stamped to the second: reversed, the stable sort keeps
            # messages of one second oldest first.
            found.reverse()
            found.sort(key=_sent)
            return [self._delivery(m) for m in found[:limit]]

    def _delivery(self, message: Any) -> Delivery:
        sent = _sent(message)
        fields = {
            "MessageSid": message.sid, "From": message.from_, "To": message.to,
            "Body": message.body or "", "NumMedia": str(message.num_media or "0"),
        }  # fmt: skip
        media = None
        if int(message.num_media or 0) > 0:
            media = fetch_media(self._settings, self._media_urls(message.sid))
        position = encode_position(sent, str(message.sid))
        return items.sms(fields, received_at=sent, position=position, media=media)

    def _media_urls(self, sid: str) -> list[tuple[str, str]]:
        base = self._client.api.base_url.rstrip("/")
        return [(base + str(m.uri).removesuffix(".json"), str(m.content_type))
                for m in self._client.messages(sid).media.list()]  # fmt: skip

    def ack(self, deliveries: Sequence[Delivery]) -> None:
        """Advance the cursor past ``deliveries``; never back; idempotent."""
        stored = load_mark(self._cursors.load(self.source))
        acked = [decode_position(d.position)[1:] for d in deliveries]
        mark = Mark.advanced(stored, acked)
        if mark is not None and mark != stored:
            self._cursors.save(self.source, json.dumps(mark.to_json()))
