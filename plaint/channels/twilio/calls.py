"""Pull mode for call records: missed calls and voicemail transcriptions from Twilio.

Two lists are read since their own cursor, kept together as one JSON object
(``{"calls": iso, "transcriptions": iso}``): inbound Calls that ended no-answer or busy
become call-back tasks, completed Transcriptions become complaints (the caller found
through the transcription's Recording and its Call). Items are built by
:mod:`plaint.channels.twilio.items`, as the voice webhook builds them, so webhook and
pull meet in the inbox's unique key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from twilio.rest import Client

from plaint.channels.base import CursorStore, Delivery
from plaint.channels.twilio import items
from plaint.channels.twilio.client import make_client
from plaint.channels.twilio.pull import PAGE_SIZE, later, require_settings, twilio_errors
from plaint.config.twilio import TwilioSettings
from plaint.inbound import ChannelKind

if TYPE_CHECKING:
    from plaint.config import SourceConfig

__all__ = ["TwilioCallsChannel", "caller_of_recording"]

_CALLS, _TRANSCRIPTIONS = "calls", "transcriptions"


def _utc(value: datetime | None) -> datetime:
    return (value or datetime.now(UTC)).astimezone(UTC)


def _caller(call: Any) -> str:
    """The caller of a CallInstance: twilio 9 names it ``_from`` (``from`` is a keyword)."""
    return str(call._from)


def caller_of_recording(client: Client, recording_sid: str) -> tuple[str, str]:
    """The (CallSid, caller's number) of a recording; raises what the client raises."""
    recording = client.recordings(recording_sid).fetch()
    call = client.calls(recording.call_sid).fetch()
    return str(call.sid), _caller(call)


class TwilioCallsChannel:
    """Missed calls and voicemail transcriptions of one Twilio account."""

    kind = ChannelKind.PHONE

    def __init__(
        self, source: str, *, settings: TwilioSettings, cursors: CursorStore,
        client: Client | None = None,
    ) -> None:  # fmt: skip
        self.source = source
        self._cursors = cursors
        self._client = client or make_client(settings)

    @classmethod
    def from_config(
        cls, source: SourceConfig, *, cursors: CursorStore, environ: Mapping[str, str]
    ) -> TwilioCallsChannel:
        """The adapter of a ``kind = "twilio-calls"`` source."""
        return cls(source.name, settings=require_settings(environ), cursors=cursors)

    def _load(self) -> dict[str, str]:
        raw = self._cursors.load(self.source)
        loaded = json.loads(raw) if raw else {}
        return loaded if isinstance(loaded, dict) else {}

    def pull(self, *, limit: int) -> list[Delivery]:
        """Up to ``limit`` missed calls and transcriptions since the cursors, oldest
        first; raises ChannelUnavailableError when Twilio cannot be reached or refuses."""
        cursor = self._load()
        with twilio_errors():
            found = self._missed(cursor.get(_CALLS)) + self._transcribed(
                cursor.get(_TRANSCRIPTIONS)
            )
        found.sort(key=lambda d: d.received_at)
        return found[:limit]

    def _missed(self, since: str | None) -> list[Delivery]:
        filters: dict[str, Any] = {"page_size": PAGE_SIZE}
        if since:
            filters["start_time_after"] = datetime.fromisoformat(since)
        found = []
        for call in self._client.calls.stream(**filters):
            at = _utc(call.start_time or call.date_created)
            if str(call.direction) == "inbound" and str(call.status) in items.MISSED_STATUSES:
                found.append(items.missed_call(
                    call_sid=str(call.sid), caller=_caller(call), status=str(call.status),
                    received_at=at, position=f"{_CALLS}|{at.isoformat()}",
                ))  # fmt: skip
        return found

    def _transcribed(self, since: str | None) -> list[Delivery]:
        bound = datetime.fromisoformat(since) if since else None
        found = []
        for text in self._client.transcriptions.stream(page_size=PAGE_SIZE):
            at = _utc(text.date_created)
            if bound is not None and at < bound:
                break  # listed newest first: the rest is older still
            if str(text.status) != "completed" or not text.transcription_text:
                continue
            call_sid, caller = caller_of_recording(self._client, str(text.recording_sid))
            found.append(items.transcription(
                sid=str(text.sid), call_sid=call_sid, caller=caller,
                text=str(text.transcription_text), received_at=at,
                position=f"{_TRANSCRIPTIONS}|{at.isoformat()}",
            ))  # fmt: skip
        return found

    def ack(self, deliveries: Sequence[Delivery]) -> None:
        """Advance each cursor to the newest item of its list in ``deliveries``."""
        cursor = self._load()
        changed = dict(cursor)
        for name in (_CALLS, _TRANSCRIPTIONS):
            positions = [d.position.partition("|")[2] for d in deliveries
                         if d.position.startswith(f"{name}|")]  # fmt: skip
            newest = later(cursor.get(name), positions)
            if newest:
                changed[name] = newest
        if changed != cursor:
            self._cursors.save(self.source, json.dumps(changed, sort_keys=True))

    def close(self) -> None:
        """Nothing to release."""
