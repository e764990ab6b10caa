"""How many messages each queue holds, asked of the broker without consuming anything."""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from plaint.queue.broker import QUEUES

__all__ = ["queue_depths"]


def queue_depths(broker: dramatiq.Broker) -> dict[str, int]:
    """Return the messages held by each of plaint's queues on ``broker``: waiting, delayed
    (a retry's backoff) and taken by a worker but not yet acknowledged. Raises the broker's
    error when it cannot be reached (a ``redis.RedisError``, or pika's on RabbitMQ).

    On Redis, two ``HLEN`` per queue of the message hashes dramatiq keeps (its own
    ``qsize`` command would register the caller as a worker); on RabbitMQ, the counts
    RabbitMQ returns for a declaration of the queue and its delay queue (idempotent: the
    workers' own arguments), which leave out messages a consumer holds unacknowledged."""
    if isinstance(broker, RedisBroker):
        pipe = broker.client.pipeline(transaction=False)
        for queue in QUEUES:
            pipe.hlen(f"{broker.namespace}:{queue}.msgs")
            pipe.hlen(f"{broker.namespace}:{queue}.DQ.msgs")
        counts = pipe.execute()
        return {q: int(counts[2 * i]) + int(counts[2 * i + 1]) for i, q in enumerate(QUEUES)}
    depths = {}
    for queue in QUEUES:
        main, delayed, _dead = broker.get_queue_message_counts(queue)  # type: ignore[attr-defined]
        depths[queue] = int(main) + int(delayed)
    return depths
