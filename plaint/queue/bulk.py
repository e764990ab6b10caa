"""Enqueue many messages for one actor at once: a backlog re-enqueued, a bench's load.

On Redis, :meth:`Producer.send` costs one round trip (one ``EVALSHA`` of dramatiq's
dispatch script) per message. :func:`enqueue_many` sends the same script calls, with the
same arguments and message encoding as ``RedisBroker.enqueue``, in pipelines of ``chunk``
commands, so a million messages take one round trip per ``chunk`` instead of a million.
The messages land in dramatiq's own data layout (the queue's list and message hash), so
workers cannot tell them from singly enqueued ones. On RabbitMQ it sends one by one
(confirmed deliveries; pika has no pipeline).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.common import current_millis

from plaint.queue.producer import ACTOR_QUEUES

__all__ = ["DEFAULT_CHUNK", "enqueue_many"]

DEFAULT_CHUNK = 2000
"""Messages per Redis pipeline: large enough that round trips no longer matter, small
enough that one pipeline's replies stay a few hundred kilobytes."""


def enqueue_many(
    broker: dramatiq.Broker,
    actor_name: str,
    args: Iterable[Sequence[Any]],
    *,
    chunk: int = DEFAULT_CHUNK,
) -> int:
    """Enqueue one message for the actor ``actor_name`` (one of
    :data:`plaint.queue.producer.ACTOR_QUEUES`) per positional-argument tuple in ``args``,
    in order; return how many. Raises what the broker raises (a ``redis.RedisError``); the
    chunks sent before the error stay enqueued, as singly sent messages would."""
    queue_name = ACTOR_QUEUES[actor_name]
    messages = (
        dramatiq.Message(
            queue_name=queue_name, actor_name=actor_name, args=tuple(a), kwargs={}, options={}
        )
        for a in args
    )
    sent = 0
    while batch := list(islice(messages, chunk)):
        if isinstance(broker, RedisBroker):
            _pipeline(broker, batch)
        else:
            for message in batch:
                broker.enqueue(message)
        sent += len(batch)
    return sent


def _pipeline(broker: RedisBroker, batch: Sequence[dramatiq.Message[Any]]) -> None:
    """What ``RedisBroker.enqueue`` does for each message (a unique Redis id, the
    middleware's before/after hooks, the dispatch script's ``enqueue`` command, never
    maintenance), in one pipeline."""
    broker.declare_queue(batch[0].queue_name)
    script = broker.scripts["dispatch"]
    pipe = broker.client.pipeline(transaction=False)
    sent = []
    for original in batch:
        message = original.copy(options={"redis_message_id": str(uuid.uuid4())})
        broker.emit_before("enqueue", message, None)
        args = ["enqueue", current_millis(), message.queue_name, broker.broker_id,
                broker.heartbeat_timeout, broker.dead_message_ttl, 0, 0,
                message.options["redis_message_id"], message.encode()]  # fmt: skip
        script(keys=[broker.namespace], args=args, client=pipe)
        sent.append(message)
    pipe.execute()
    for message in sent:
        broker.emit_after("enqueue", message, None)
