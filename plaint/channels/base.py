"""The contract every channel adapter keeps.

An adapter pulls items from its source and acks them only after the caller has made them
durable. Un-acked items come back on the next pull; acked ones do not; acking twice is a
no-op. Where the adapter keeps its position (an IMAP UID, a Twilio date, a CSV offset) is a
:class:`CursorStore` handed in by the caller, so the position lives in the database.

An adapter may also be a :class:`StagedAck`: the caller then writes the position in the
very transaction that makes the items durable (one commit a batch instead of two), and
``ack`` afterwards only does what acking means at the source (flag, move, settle).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from plaint.inbound import ChannelKind

__all__ = ["Channel", "CursorStore", "Delivery", "StagedAck"]


@dataclass(frozen=True)
class Delivery:
    """One raw item pulled from a source.

    ``external_id`` is stable across re-reads of the same item (an email's Message-ID, a
    Twilio SID), so the inbox's UNIQUE(source, external_id) absorbs redeliveries.
    ``position`` is what acking this item advances the cursor to. ``quarantine`` is set
    when the adapter already knows the item cannot be understood (a malformed CSV row, an
    AMQP message that is not a call record): a short reason safe to log (no content), with
    which the item is stored quarantined instead of pending; acking it still moves past it
    (an AMQP adapter dead-letters it), so it never blocks the items after it.
    """

    source: str
    channel: ChannelKind
    external_id: str
    payload: bytes
    received_at: datetime
    position: str
    quarantine: str | None = None


class CursorStore(Protocol):
    """Durable storage of each source's read position."""

    def load(self, source: str) -> str | None:
        """Return the stored position of ``source``, or ``None`` before the first ack."""

    def save(self, source: str, position: str) -> None:
        """Durably store ``position`` for ``source`` before returning."""


class Channel(Protocol):
    """A source of inbound items: pull, make durable elsewhere, then ack."""

    source: str
    kind: ChannelKind

    def pull(self, *, limit: int) -> list[Delivery]:
        """Return up to ``limit`` items after the acked position, oldest first; ``[]`` when
        there are none. Blocks for at most the adapter's network timeout.

        Raises ChannelUnavailableError when the server cannot be reached or fails.
        """

    def ack(self, deliveries: Sequence[Delivery]) -> None:
        """Advance the stored position past ``deliveries``; idempotent, never moves back.

        Raises ChannelUnavailableError if the position cannot be stored.
        """

    def close(self) -> None:
        """Release connections; safe to call more than once."""


@runtime_checkable
class StagedAck(Protocol):
    """A channel whose position can be stored together with its items (optional).

    The caller, inside the transaction that stores ``deliveries``, calls :meth:`stage` with
    a :class:`CursorStore` writing into that transaction; after the commit it calls
    ``ack(deliveries)`` as usual, which then saves nothing more and only acts at the source.
    So the position is durable exactly when the items are (never ahead of them), and the
    source is acked only after both. If the transaction fails the caller does not ack: the
    next pull starts from the position durable before, and a stage not followed by its ack
    (before the next pull) leaves ``ack`` to save the position itself, as without staging.
    """

    def stage(self, deliveries: Sequence[Delivery], *, cursors: CursorStore) -> None:
        """Save the position acking ``deliveries`` moves to into ``cursors`` (unless it
        is there already); no effect at the source. Raises what ``cursors.save`` raises."""
