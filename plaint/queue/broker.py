"""The dramatiq broker, with dramatiq's defaults overridden where they do not fit plaint.

- Retries: dramatiq retries 20 times with backoff up to 7 days. plaint's inbox is the
  record and a reconciler re-enqueues untriaged rows, so a week-long retry tail only hides a
  failure: we retry 8 times with backoff from 1 s to 5 min (about 20 min in all), and never
  retry a PermanentError (retrying cannot fix the sender's fault).
- Time limit: dramatiq kills an actor after 10 minutes. A poll is bounded by its network
  timeouts and a triage takes milliseconds, so 2 minutes is already generous; a stuck actor
  is found sooner.
- Heartbeat and maintenance: a message held by a worker that died is redelivered by the
  broker's "maintenance" pass once the worker's heartbeat is older than the heartbeat
  timeout (60 s by default), and that pass runs on only 0.1 % of broker commands, so after
  a ``kill -9`` in-flight complaints waited one to two minutes. 10 s of heartbeat and a
  5 % maintenance chance (a few Redis set operations each time; idle consumers fetch
  several times a second) redeliver them within seconds of the timeout. Every live
  consumer refreshes its heartbeat on each fetch, far more often than every 10 s; a
  message redelivered from a merely slow worker is triaged idempotently.
- Prometheus: dramatiq's middleware is not installed. Its exporter binds 0.0.0.0 by
  default, which would expose metrics on every interface of a resident-data server, and
  its names are ``dramatiq_*``; plaint's own ``plaint_*`` metrics
  (:mod:`plaint.telemetry`) are served on ``PLAINT_METRICS_ADDR`` only.
- RabbitMQ (``amqp://`` URLs, the ``rabbitmq`` extra): ``confirm_delivery`` on, so an
  enqueue returns only once RabbitMQ holds the message (dramatiq's default fires and
  forgets: a message lost in flight would wait for the inbox reconciler). RabbitMQ
  redelivers a dead consumer's unacked messages when its connection drops, so the
  heartbeat settings above are Redis's only.
"""

from __future__ import annotations

from datetime import timedelta

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import (
    AgeLimit,
    Callbacks,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)

from plaint.errors import PermanentError

__all__ = ["QUEUES", "build_broker", "is_rabbitmq"]

MAX_RETRIES = 8
MIN_BACKOFF = timedelta(seconds=1)
MAX_BACKOFF = timedelta(minutes=5)
TIME_LIMIT = timedelta(minutes=2)
HEARTBEAT_TIMEOUT = timedelta(seconds=10)
# Broker commands, per million, that also requeue the messages of dead workers.
MAINTENANCE_CHANCE = 50_000

# One queue per stage, so a bulk job never starves intake.
QUEUES = ("intake", "triage", "maintenance", "outbox")


def _ms(delta: timedelta) -> int:
    return int(delta.total_seconds() * 1000)


def _should_retry(retries: int, exception: BaseException) -> bool:
    return retries < MAX_RETRIES and not isinstance(exception, PermanentError)


def is_rabbitmq(url: str) -> bool:
    """Whether ``url`` names a RabbitMQ broker (``amqp://`` or ``amqps://``)."""
    return url.startswith(("amqp://", "amqps://"))


def build_broker(url: str) -> dramatiq.Broker:
    """Return a broker for ``url`` with plaint's middleware: RabbitMQ for ``amqp://`` and
    ``amqps://`` (needs the ``rabbitmq`` extra, pika), Redis otherwise (``redis://``,
    ``unix://``). A Redis broker connects lazily, on first use."""
    if is_rabbitmq(url):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        return RabbitmqBroker(url=url, middleware=_middleware(), confirm_delivery=True)
    return RedisBroker(
        url=url,
        middleware=_middleware(),
        heartbeat_timeout=_ms(HEARTBEAT_TIMEOUT),
        maintenance_chance=MAINTENANCE_CHANCE,
    )


def _middleware() -> list[dramatiq.Middleware]:
    return [
        AgeLimit(),
        TimeLimit(time_limit=_ms(TIME_LIMIT)),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        Retries(
            min_backoff=_ms(MIN_BACKOFF),
            max_backoff=_ms(MAX_BACKOFF),
            retry_when=_should_retry,
        ),
    ]
