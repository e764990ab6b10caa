"""The channel contract, kept by the Twilio pull adapters (SMS, call records) against the
stand-in, through the real ``twilio`` client."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from plaint.channels import open_channel
from plaint.channels.base import Channel
from plaint.channels.twilio.calls import TwilioCallsChannel
from plaint.channels.twilio.items import SMS_SOURCE, VOICE_SOURCE
from plaint.channels.twilio.pull import TwilioSmsChannel
from plaint.config import Config
from plaint.config.twilio import TwilioSettings
from plaint.errors import ChannelUnavailableError, ConfigError
from tests.channels.contract import ChannelContract, MemoryCursors
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


@dataclass
class TwilioSource:
    """The stand-in as a :class:`~tests.channels.contract.ContractSource` of one kind."""

    standin: StandIn
    kind: str
    made: int = 0

    def add(self, count: int) -> list[str]:
        added = [KINDS[self.kind][1](self.standin, self.made + n) for n in range(count)]
        self.made += count
        return added

    def add_malformed(self) -> None:
        pytest.skip("Twilio's API lists well-formed records only")

    def open(self, cursors: MemoryCursors) -> Channel:
        return channel(self.kind, self.standin.settings(), cursors)

    def open_unreachable(self, cursors: MemoryCursors) -> Channel:
        dead = TwilioSettings(account_sid=ACCOUNT, auth_token=TOKEN, sender=SENDER,
                              api_url=f"http://127.0.0.1:{free_port()}")  # fmt: skip
        return channel(self.kind, dead, cursors)


class TestTwilioContract(ChannelContract):
    @pytest.fixture
    def contract_source(self, standin: StandIn, kind: str) -> TwilioSource:
        return TwilioSource(standin, kind)

    def inbox_source(self, channel: Channel) -> str:
        # Filed under the webhook's source, so webhook and pull store one row per item.
        return SMS_SOURCE if isinstance(channel, TwilioSmsChannel) else VOICE_SOURCE

    def test_a_failing_server_raises_channel_unavailable(self, standin: StandIn, kind: str) -> None:
        standin.control("faults", [{"status": 503}])
        with pytest.raises(ChannelUnavailableError):
            channel(kind, standin.settings(), MemoryCursors()).pull(limit=10)

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
