"""The AMQP call-record adapter on a throwaway RabbitMQ node: the channel contract,
dead-lettering of malformed messages, and reconnecting after the connection is lost."""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from kombu import Connection, Exchange, Producer, Queue

from plaint.channels import open_channel
from plaint.channels.phone.amqp import AmqpChannel
from plaint.config import Config
from plaint.errors import ChannelUnavailableError, ConfigError
from tests.channels.contract import ChannelContract, MemoryCursors, ids
from tests.servers import free_port


def record(n: int) -> dict[str, object]:
    return {"call_id": f"pbx-{n}", "caller": f"1380013{n:04d}", "status": "completed",
            "agent": "8001", "notes": "电梯异响"}  # fmt: skip


@dataclass
class Broker:
    """The contract's source: a fresh queue on the test broker."""

    url: str
    queue: str = field(default_factory=lambda: f"calls-{uuid.uuid4().hex[:8]}")
    sent: int = 0

    @property
    def exchange(self) -> str:
        return f"{self.queue}.x"

    def channel(self, url: str | None = None, timeout: float = 5) -> AmqpChannel:
        return AmqpChannel(
            source="pbx", url=url or self.url, queue=self.queue, exchange=self.exchange,
            routing_key=self.queue, dead_letter_exchange=f"{self.exchange}.dlx", timeout=timeout,
        )  # fmt: skip

    def publish(self, body: bytes, *, message_id: str | None = None) -> None:
        with Connection(self.url) as connection:
            producer = Producer(connection.default_channel, exchange=Exchange(self.exchange))
            properties = {"message_id": message_id} if message_id else {}
            producer.publish(body, routing_key=self.queue, content_type="application/json",
                             content_encoding="binary", **properties)  # fmt: skip

    def add(self, count: int) -> list[str]:
        out = []
        for _ in range(count):
            self.sent += 1
            self.publish(json.dumps(record(self.sent)).encode(), message_id=f"m{self.sent}")
            out.append(f"amqp:m{self.sent}")
        return out

    def add_malformed(self) -> None:
        self.publish(b"this is no call record")

    def open(self, cursors: MemoryCursors) -> AmqpChannel:
        return self.channel()

    def open_unreachable(self, cursors: MemoryCursors) -> AmqpChannel:
        return self.channel(f"amqp://guest:guest@127.0.0.1:{free_port()}//", timeout=1)

    def dead_letters(self) -> list[bytes]:
        with Connection(self.url) as connection:
            dead = Queue(f"{self.queue}.dead", Exchange(f"{self.exchange}.dlx", type="fanout"))
            bound = dead(connection.default_channel)
            out = []
            while (message := bound.get(no_ack=True)) is not None:
                out.append(bytes(message.body))
            return out


@pytest.fixture
def broker(rabbitmq_url: str) -> Broker:
    source = Broker(rabbitmq_url)
    declare = source.channel()
    declare.pull(limit=0)  # declares the exchange, the queue and the dead-letter queue
    declare.close()
    return source


class TestAmqpContract(ChannelContract):
    @pytest.fixture
    def contract_source(self, broker: Broker) -> Broker:
        return broker


def test_a_malformed_message_is_dead_lettered_when_acked(broker: Broker) -> None:
    broker.add_malformed()
    [good] = broker.add(1)
    channel = broker.channel()
    bad, ok = channel.pull(limit=10)
    assert bad.quarantine == f"bad_json: AMQP message on {broker.queue}"
    assert bad.external_id.startswith("amqp:sha256:")
    assert (ok.external_id, ok.quarantine) == (good, None)
    channel.ack([bad, ok])
    channel.close()
    assert broker.dead_letters() == [b"this is no call record"]
    again = broker.channel()
    assert again.pull(limit=10) == []
    again.close()


def test_a_lost_connection_is_reconnected_and_nothing_is_lost(broker: Broker) -> None:
    added = broker.add(2)
    channel = broker.channel()
    first = channel.pull(limit=10)
    assert ids(first) == added
    sock = channel._connection.connection.sock  # type: ignore[union-attr]
    sock.shutdown(socket.SHUT_RDWR)  # the broker went away under us
    with pytest.raises(ChannelUnavailableError):
        channel.ack(first)
    again = channel.pull(limit=10)  # connects again; the un-acked messages came back
    assert ids(again) == added
    channel.ack(again)
    assert channel.pull(limit=10) == []
    channel.close()


def test_a_missing_optional_dependency_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, make_config: Callable[[str], Config]
) -> None:
    import plaint.channels

    config = make_config('[[sources]]\nname = "pbx"\nkind = "amqp"\nurl_env = "U"\n'
                         'queue = "q"\nexchange = "x"\n')  # fmt: skip
    monkeypatch.setitem(plaint.channels._ADAPTERS, "amqp", "no_such_kombu_xyz:Channel")
    with pytest.raises(ConfigError, match=r"pip install 'plaint\[amqp\]'"):
        open_channel(config.source("pbx"), cursors=MemoryCursors(), environ={})
