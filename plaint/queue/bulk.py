"""Enqueue many messages for one actor at once: a backlog re-enqueued, a bench's load.

On Redis, :meth:`Producer.send` costs one round trip (one ``EVALSHA`` of dramatiq's
dispatch script) per message. :func:`enqueue_many` writes ``chunk`` messages at a time,
encoded as ``RedisBroker.enqueue`` encodes them, with two commands in one transaction, so
a million messages take one round trip per ``chunk`` instead of a million. The messages
land in dramatiq's own data layout (the queue's list and message hash), so workers cannot
tell them from singly enqueued ones. On RabbitMQ it sends one by one
(confirmed deliveries; pika has no pipeline).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from plaint.queue.producer import ACTOR_QUEUES

__all__ = ["DEFAULT_CHUNK", "enqueue_many"]

DEFAULT_CHUNK = 2000
"""Messages per Redis transaction: large enough that round trips no longer matter, small
enough that one transaction (about 0.5 MB) does not stall Redis for the workers."""


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
    messages: Iterator[dramatiq.Message[Any]] = (
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
    middleware's before/after hooks), then what the ``enqueue`` command of dramatiq's
    dispatch script does (``HSET`` of the message under that id in the queue's hash,
    ``RPUSH`` of the id on the queue's list), for the whole batch in one ``MULTI``: two
    commands instead of one script call per message, which is where a client spends its
    time (encoding ten arguments per call). The test of this module reads the messages
    back through dramatiq's own consumer, so a change of dramatiq's layout fails it."""
    queue_name = batch[0].queue_name
    sent = [m.copy(options={"redis_message_id": str(uuid.uuid4())}) for m in batch]
    for message in sent:
        broker.emit_before("enqueue", message, None)
    ids = [m.options["redis_message_id"] for m in sent]
    pipe = broker.client.pipeline(transaction=True)
    queue = f"{broker.namespace}:{queue_name}"
    pipe.hset(f"{queue}.msgs", mapping={i: m.encode() for i, m in zip(ids, sent, strict=True)})
    pipe.rpush(queue, *ids)
    pipe.execute()
    for message in sent:
        broker.emit_after("enqueue", message, None)
