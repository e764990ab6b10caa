"""Call-record events on an AMQP queue (RabbitMQ, or any broker kombu speaks) as a channel.

A PBX or CTI system publishes one message per call record: the JSON object of
:mod:`plaint.channels.phone.parse`. This adapter declares what it reads — the ``exchange``
(direct, durable), the ``queue`` bound to it with ``routing_key``, and, unless the source
sets ``dead_letter_exchange = ""``, a fanout dead-letter exchange with a ``<queue>.dead``
queue, named to the queue as its ``x-dead-letter-exchange`` — and pulls with ``basic.get``,
one message at a time, so a poll takes at most ``limit`` messages and holds no consumer.

Acking follows the inbox: a message is acked only after its inbox row is durable. One the
phone parser rejects (not JSON, no caller number) is delivered for quarantine, and acking
it *rejects* it without requeueing, so the broker dead-letters it; its inbox row, stored
quarantined, is what an operator sees (``plaint inbox list --status quarantined``). Pulled
but un-acked messages are requeued at the start of the next pull (RabbitMQ puts them back
in their place); a lost connection requeues them too. The external id is the message's
``message_id`` property, else a digest of its body, so a redelivery is one inbox row.

Every broker error closes the connection and raises ChannelUnavailableError; the next
pull connects again, so the poller rides out a broker restart.
"""

from __future__ import annotations

import contextlib
import hashlib
import socket
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from kombu.connection import Connection
from kombu.entity import Exchange, Queue
from kombu.exceptions import KombuError
from kombu.message import Message

from plaint.channels.base import CursorStore, Delivery
from plaint.channels.phone.parse import parse_call
from plaint.errors import ChannelUnavailableError, ConfigError, MalformedMessageError
from plaint.inbound import ChannelKind

if TYPE_CHECKING:
    from plaint.config import SourceConfig

__all__ = ["AmqpChannel"]

# Seconds to connect, and for each broker operation.
DEFAULT_TIMEOUT_SECONDS = 10.0
_MAX_MESSAGE_ID = 200
_ERRORS: tuple[type[BaseException], ...] = (KombuError, OSError, socket.timeout, EOFError)


class AmqpChannel:
    """One broker queue of call records; see :class:`Channel` for the contract. The
    cursor store is not used: the broker keeps the position."""

    kind = ChannelKind.PHONE

    def __init__(
        self, *, source: str, url: str, queue: str, exchange: str, routing_key: str,
        dead_letter_exchange: str = "", timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:  # fmt: skip
        self.source = source
        self._url, self._timeout = url, timeout
        self._queue = _queue(queue, exchange, routing_key, dead_letter_exchange)
        self._dead = _dead_letter_queue(queue, dead_letter_exchange)
        self._connection: Connection | None = None
        self._bound: Any = None
        self._generation = 0
        self._outstanding: dict[str, Message] = {}

    @classmethod
    def from_config(
        cls, config: SourceConfig, *, cursors: CursorStore, environ: Mapping[str, str]
    ) -> AmqpChannel:
        """Build from a configured ``amqp`` source; the URL comes from ``url_env``."""
        options = config.amqp
        assert options is not None
        url = environ.get(options.url_env)
        if not url:
            raise ConfigError(
                f"source {config.name!r}: environment variable {options.url_env} is not set"
            )
        return cls(
            source=config.name, url=url, queue=options.queue, exchange=options.exchange,
            routing_key=options.routing_key, dead_letter_exchange=options.dead_letter_exchange,
        )  # fmt: skip

    def pull(self, *, limit: int) -> list[Delivery]:
        """Requeue what the last pull left un-acked, then take up to ``limit`` messages."""
        try:
            bound = self._connect()
            for message in self._outstanding.values():
                message.requeue()
            self._outstanding.clear()
            out: list[Delivery] = []
            while len(out) < limit:
                message = bound.get(no_ack=False)
                if message is None:
                    break
                out.append(self._delivery(message))
            return out
        except _ERRORS as exc:
            self._reset()
            raise ChannelUnavailableError(
                f"AMQP source {self.source!r}: {type(exc).__name__}"
            ) from exc

    def _delivery(self, message: Message) -> Delivery:
        body = bytes(message.body) if isinstance(message.body, bytes | bytearray) else b""
        message_id = str(message.properties.get("message_id") or "")[:_MAX_MESSAGE_ID]
        external_id = f"amqp:{message_id}" if message_id else (
            "amqp:sha256:" + hashlib.sha256(body).hexdigest()
        )  # fmt: skip
        stamp = message.properties.get("timestamp")
        received = datetime.now(UTC)
        if isinstance(stamp, int | float):
            received = min(datetime.fromtimestamp(stamp, tz=UTC), received)
        elif isinstance(stamp, datetime):
            received = min(stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC), received)
        position = f"{self._generation}:{message.delivery_tag}"
        self._outstanding[position] = message
        quarantine = None
        try:
            parse_call(body, received_at=received)
        except MalformedMessageError as exc:
            quarantine = f"{exc.reason}: AMQP message on {self._queue.name}"
        return Delivery(self.source, ChannelKind.PHONE, external_id, body, received, position,
                        quarantine=quarantine)  # fmt: skip

    def ack(self, deliveries: Sequence[Delivery]) -> None:
        """Ack each message (reject one to quarantine, which dead-letters it). A message
        already acked, or pulled on a connection since lost (the broker requeued it), is
        skipped: acking is idempotent."""
        try:
            for delivery in deliveries:
                message = self._outstanding.pop(delivery.position, None)
                if message is None:
                    continue
                if delivery.quarantine is None:
                    message.ack()
                else:
                    message.reject(requeue=False)
        except _ERRORS as exc:
            self._reset()
            raise ChannelUnavailableError(
                f"AMQP source {self.source!r}: {type(exc).__name__}"
            ) from exc

    def close(self) -> None:
        """Close the connection (the broker requeues un-acked messages); never raises."""
        self._reset()

    def _connect(self) -> Any:
        if self._bound is None:
            connection = Connection(self._url, connect_timeout=self._timeout)
            try:
                connection.connect()
                channel = connection.default_channel
                if self._dead is not None:
                    self._dead(channel).declare()
                bound = self._queue(channel)
                bound.declare()
            except BaseException:
                with contextlib.suppress(*_ERRORS):
                    connection.release()
                raise
            self._connection, self._bound = connection, bound
            self._generation += 1
        return self._bound

    def _reset(self) -> None:
        connection, self._connection, self._bound = self._connection, None, None
        self._outstanding.clear()
        if connection is not None:
            with contextlib.suppress(*_ERRORS):
                connection.release()


def _queue(name: str, exchange: str, routing_key: str, dead_letter_exchange: str) -> Queue:
    arguments = {"x-dead-letter-exchange": dead_letter_exchange} if dead_letter_exchange else {}
    return Queue(
        name, Exchange(exchange, type="direct", durable=True), routing_key=routing_key,
        durable=True, queue_arguments=arguments or None,
    )  # fmt: skip


def _dead_letter_queue(name: str, dead_letter_exchange: str) -> Queue | None:
    if not dead_letter_exchange:
        return None
    exchange = Exchange(dead_letter_exchange, type="fanout", durable=True)
    return Queue(f"{name}.dead", exchange, routing_key="", durable=True)
