"""Pull mode for call records: missed calls and voicemail transcriptions from Twilio.

Two lists are read since their own :class:`~plaint.channels.twilio.cursor.Mark`, kept
together as one JSON object (``{"calls": mark, "transcriptions": mark}``): inbound Calls
that ended no-answer or busy become call-back tasks, completed Transcriptions become
complaints (the caller found through the transcription's Recording and its Call). Items are built by
:mod:`plaint.channels.twilio.items`, as the voice webhook builds them, so webhook and
pull meet in the inbox's unique key.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from twilio.rest import Client

from plaint.channels.base import Delivery
from plaint.channels.twilio import items
from plaint.channels.twilio.cursor import Mark, decode_position, encode_position
from plaint.channels.twilio.pull import PAGE_SIZE, TwilioAdapter, twilio_errors, utc
from plaint.inbound import ChannelKind

if TYPE_CHECKING:
    pass

__all__ = ["TwilioCallsChannel", "caller_of_recording"]

_CALLS, _TRANSCRIPTIONS = "calls", "transcriptions"


def _caller(call: Any) -> str:
    """The caller of a CallInstance: twilio 9 names it ``_from`` (``from`` is a keyword)."""
    return str(call._from)


def caller_of_recording(client: Client, recording_sid: str) -> tuple[str, str]:
    """The (CallSid, caller's number) of a recording; raises what the client raises."""
    recording = client.recordings(recording_sid).fetch()
    call = client.calls(recording.call_sid).fetch()
    return str(call.sid), _caller(call)


class TwilioCallsChannel(TwilioAdapter):
    """Missed calls and voicemail transcriptions of one Twilio account."""

    kind = ChannelKind.PHONE

    def _load(self) -> dict[str, Mark | None]:
        raw = self._cursors.load(self.source)
        loaded = json.loads(raw) if raw else {}
        return {name: Mark.from_json(loaded.get(name)) for name in (_CALLS, _TRANSCRIPTIONS)}

    def pull(self, *, limit: int) -> list[Delivery]:
        """Up to ``limit`` missed calls and transcriptions since the cursors, oldest
        first; raises ChannelUnavailableError when Twilio cannot be reached or refuses."""
        cursor = self._load()
        with twilio_errors():
            # Twilio lists newest first and stamps to the second: reversed, each list is
            # oldest first, and the stable sort keeps that order among equal stamps.
            found = (
                self._missed(cursor.get(_CALLS))[::-1]
                + self._transcribed(cursor.get(_TRANSCRIPTIONS))[::-1]
            )
        found.sort(key=lambda d: d.received_at)
        return found[:limit]

    def _missed(self, mark: Mark | None) -> list[Delivery]:
        filters: dict[str, Any] = {"page_size": PAGE_SIZE}
        if mark is not None:
            filters["start_time_after"] = mark.at
        found = []
        for call in self._client.calls.stream(**filters):
            at = utc(call.start_time or call.date_created)
            if mark is not None and mark.covers(at, str(call.sid)):
                continue
            if str(call.direction) == "inbound" and str(call.status) in items.MISSED_STATUSES:
                found.append(items.missed_call(
                    call_sid=str(call.sid), caller=_caller(call), status=str(call.status),
                    received_at=at, position=encode_position(at, str(call.sid), prefix=_CALLS),
                ))  # fmt: skip
        return found

    def _transcribed(self, mark: Mark | None) -> list[Delivery]:
        found = []
        for text in self._client.transcriptions.stream(page_size=PAGE_SIZE):
            at = utc(text.date_created)
            if mark is not None and at < mark.at:
                break  # listed newest first: the rest is older still
            if mark is not None and mark.covers(at, str(text.sid)):
                continue
            if str(text.status) != "completed" or not text.transcription_text:
                continue
            call_sid, caller = caller_of_recording(self._client, str(text.recording_sid))
            found.append(items.transcription(
                sid=str(text.sid), call_sid=call_sid, caller=caller,
                text=str(text.transcription_text), received_at=at,
                position=encode_position(at, str(text.sid), prefix=_TRANSCRIPTIONS),
            ))  # fmt: skip
        return found

    def ack(self, deliveries: Sequence[Delivery]) -> None:
        """Advance each cursor to the newest item of its list in ``deliveries``."""
        cursor = self._load()
        decoded = [decode_position(d.position) for d in deliveries]
        changed = {
            name: Mark.advanced(mark, [(at, sid) for kind, at, sid in decoded if kind == name])
            for name, mark in cursor.items()
        }
        if changed != cursor:
            stored = {name: mark.to_json() for name, mark in changed.items() if mark}
            self._cursors.save(self.source, json.dumps(stored, sort_keys=True))
