"""Pull mode for sites Twilio cannot call: inbound SMS listed through the REST API.

The cursor is the send time of the newest acked message (ISO 8601). Each pull lists the
messages sent since then (``DateSent>``, paged by the client), keeps the inbound ones and
hands back the oldest ``limit``. The item at the cursor's own second is listed again on
the next pull; the inbox's unique key absorbs it, as it absorbs a message that the
webhook stored first (both write :func:`plaint.channels.twilio.items.sms`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from plaint.channels.base import CursorStore, Delivery
from plaint.channels.twilio import items
from plaint.channels.twilio.client import TwilioBusyError, make_client
from plaint.channels.twilio.media import fetch_media
from plaint.config.twilio import TwilioSettings, load_twilio_settings
from plaint.errors import ChannelUnavailableError, ConfigError
from plaint.inbound import ChannelKind

if TYPE_CHECKING:
    from plaint.config import SourceConfig

__all__ = ["PAGE_SIZE", "TwilioSmsChannel", "later", "require_settings", "twilio_errors"]

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


def require_settings(environ: Mapping[str, str]) -> TwilioSettings:
    """The Twilio settings of ``environ``; ConfigError when Twilio is not configured."""
    settings = load_twilio_settings(environ)
    if settings is None:
        raise ConfigError("a twilio source needs PLAINT_TWILIO_ACCOUNT_SID and _AUTH_TOKEN")
    return settings


def later(stored: str | None, positions: Sequence[str]) -> str | None:
    """The latest of ``stored`` and ``positions`` (ISO 8601 instants), or ``None``."""
    candidates = [p for p in (stored, *positions) if p]
    return max(candidates, key=datetime.fromisoformat) if candidates else None


def _utc(value: datetime | None) -> datetime:
    return (value or datetime.now(UTC)).astimezone(UTC)


class TwilioSmsChannel:
    """Inbound SMS of one Twilio account, listed since the stored cursor."""

    kind = ChannelKind.SMS

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
    ) -> TwilioSmsChannel:
        """The adapter of a ``kind = "twilio-sms"`` source."""
        return cls(source.name, settings=require_settings(environ), cursors=cursors)

    def pull(self, *, limit: int) -> list[Delivery]:
        """Up to ``limit`` inbound messages sent since the cursor, oldest first; raises
        ChannelUnavailableError when Twilio cannot be reached or refuses."""
        cursor = self._cursors.load(self.source)
        filters: dict[str, Any] = {"page_size": PAGE_SIZE}
        if cursor:
            filters["date_sent_after"] = datetime.fromisoformat(cursor)
        if self._settings.sender and not self._settings.messaging_service:
            filters["to"] = self._settings.sender
        with twilio_errors():
            found = [m for m in self._client.messages.stream(**filters)
                     if str(m.direction) == "inbound"]  # fmt: skip
            found.sort(key=lambda m: _utc(m.date_sent or m.date_created))
            return [self._delivery(m) for m in found[:limit]]

    def _delivery(self, message: Any) -> Delivery:
        sent = _utc(message.date_sent or message.date_created)
        fields = {
            "MessageSid": message.sid, "From": message.from_, "To": message.to,
            "Body": message.body or "", "NumMedia": str(message.num_media or "0"),
        }  # fmt: skip
        media = None
        if int(message.num_media or 0) > 0:
            media = fetch_media(self._settings, self._media_urls(message.sid))
        return items.sms(fields, received_at=sent, position=sent.isoformat(), media=media)

    def _media_urls(self, sid: str) -> list[tuple[str, str]]:
        base = self._client.api.base_url.rstrip("/")
        return [(base + str(m.uri).removesuffix(".json"), str(m.content_type))
                for m in self._client.messages(sid).media.list()]  # fmt: skip

    def ack(self, deliveries: Sequence[Delivery]) -> None:
        """Advance the cursor to the newest send time of ``deliveries``; never back."""
        stored = self._cursors.load(self.source)
        newest = later(stored, [d.position for d in deliveries])
        if newest and newest != stored:
            self._cursors.save(self.source, newest)

    def close(self) -> None:
        """Nothing to release: the client's connections close with it."""
