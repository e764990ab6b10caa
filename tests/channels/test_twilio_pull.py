"""The channel contract, kept by the Twilio pull adapters (SMS, call records) against the
stand-in, through the real ``twilio`` client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from plaint.channels import open_channel
from plaint.channels.base import Channel, Delivery
from plaint.channels.twilio.calls import TwilioCallsChannel
from plaint.channels.twilio.pull import TwilioSmsChannel
from plaint.config import Config
from plaint.config.twilio import TwilioSettings
from plaint.errors import ChannelUnavailableError, ConfigError
from tests.channels.test_imap import MemoryCursors
from tests.servers import free_port
from tests.twilio_fixture import ACCOUNT, SENDER, TOKEN, StandIn


def _sms(standin: StandIn, n: int) -> str:
    fields = {"from": f"+86138000000{n:02d}", "to": SENDER, "body": f"投诉 {n}",
              "direction": "inbound"}  # fmt: skip
    item = standin.control("items/Messages", fields)
    return str(item["sid"])


def _missed(standin: StandIn, n: int) -> str:
    sid = f"CA{n:032d}"
    standin.control("items/Calls", {"sid": sid, "from": f"+86138000000{n:02d}", "to": SENDER,
                                    "direction": "inbound", "status": "busy"})  # fmt: skip
    return f"{sid}:missed"


KINDS: dict[str, tuple[Callable[..., Channel], Callable[[StandIn, int], str]]] = {
    "sms": (TwilioSmsChannel, _sms),
    "calls": (TwilioCallsChannel, _missed),
}


@pytest.fixture(params=sorted(KINDS))
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def channel(kind: str, settings: TwilioSettings, cursors: MemoryCursors) -> Channel:
    return KINDS[kind][0]("twilio", settings=settings, cursors=cursors)


def ids(deliveries: list[Delivery]) -> list[str]:
    return [d.external_id for d in deliveries]


class TestTwilioContract:
    def test_empty_pull_returns_nothing(self, standin: StandIn, kind: str) -> None:
        assert channel(kind, standin.settings(), MemoryCursors()).pull(limit=10) == []

    def test_unacked_items_come_back_and_acked_ones_do_not(
        self, standin: StandIn, kind: str
    ) -> None:
        made = [KINDS[kind][1](standin, n) for n in range(3)]  # same second: ties in time
        adapter = channel(kind, standin.settings(), MemoryCursors())
        first = adapter.pull(limit=10)
        assert sorted(ids(first)) == sorted(made)
        assert ids(adapter.pull(limit=10)) == ids(first)
        adapter.ack(first[:2])
        assert ids(adapter.pull(limit=10)) == ids(first)[2:]
        adapter.ack(first)
        assert adapter.pull(limit=10) == []
        later = KINDS[kind][1](standin, 9)
        assert ids(adapter.pull(limit=10)) == [later]

    def test_ack_is_idempotent_and_never_moves_back(self, standin: StandIn, kind: str) -> None:
        for n in range(2):
            KINDS[kind][1](standin, n)
        cursors = MemoryCursors()
        adapter = channel(kind, standin.settings(), cursors)
        items = adapter.pull(limit=10)
        adapter.ack(items)
        stored = cursors.values["twilio"]
        adapter.ack(items)
        adapter.ack(items[:1])
        assert cursors.values["twilio"] == stored
        assert cursors.saves == 1

    def test_limit_takes_the_oldest_first(self, standin: StandIn, kind: str) -> None:
        for n in range(5):
            KINDS[kind][1](standin, n)
        everything = channel(kind, standin.settings(), MemoryCursors()).pull(limit=10)
        two = channel(kind, standin.settings(), MemoryCursors()).pull(limit=2)
        assert ids(two) == ids(everything)[:2]

    def test_a_dead_server_raises_channel_unavailable(self, standin: StandIn, kind: str) -> None:
        settings = standin.settings()
        dead = TwilioSettings(account_sid=ACCOUNT, auth_token=TOKEN, sender=SENDER,
                              api_url=f"http://127.0.0.1:{free_port()}")  # fmt: skip
        with pytest.raises(ChannelUnavailableError):
            channel(kind, dead, MemoryCursors()).pull(limit=10)
        standin.control("faults", [{"status": 503}])
        with pytest.raises(ChannelUnavailableError):
            channel(kind, settings, MemoryCursors()).pull(limit=10)

    def test_wrong_credentials_raise_channel_unavailable(self, standin: StandIn, kind: str) -> None:
        wrong = TwilioSettings(account_sid=ACCOUNT, auth_token="wrong", sender=SENDER,
                               api_url=standin.url)  # fmt: skip
        with pytest.raises(ChannelUnavailableError):
            channel(kind, wrong, MemoryCursors()).pull(limit=10)


def test_sources_open_from_the_configuration(
    make_config: Callable[..., Config], standin: StandIn
) -> None:
    config = make_config('[[sources]]\nname = "sms"\nkind = "twilio-sms"\n'
                         '[[sources]]\nname = "calls"\nkind = "twilio-calls"\n')  # fmt: skip
    env: dict[str, Any] = {"PLAINT_TWILIO_ACCOUNT_SID": ACCOUNT, "PLAINT_TWILIO_AUTH_TOKEN": TOKEN,
                           "PLAINT_TWILIO_API_URL": standin.url}  # fmt: skip
    for name, cls in (("sms", TwilioSmsChannel), ("calls", TwilioCallsChannel)):
        opened = open_channel(config.source(name), cursors=MemoryCursors(), environ=env)
        assert isinstance(opened, cls)
        assert opened.pull(limit=1) == []
        with pytest.raises(ConfigError):
            open_channel(config.source(name), cursors=MemoryCursors(), environ={})
    with pytest.raises(ConfigError, match="host: required key is missing"):
        make_config('[[sources]]\nname = "m"\nkind = "imap"\n')
