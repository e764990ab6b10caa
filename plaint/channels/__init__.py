"""Channel adapters, imported lazily: a worker imports only the adapters it uses.

``open_channel`` builds the adapter of a configured source; ``parse_payload`` turns a raw
inbox payload into an :class:`~plaint.inbound.InboundMessage` with the parser of the
channel kind that produced it; ``open_senders`` builds the outbound senders the
environment configures (the outbox dispatcher's, one per channel).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from plaint.errors import ConfigError
from plaint.inbound import ChannelKind, InboundMessage

if TYPE_CHECKING:
    from plaint.channels.base import Channel, CursorStore
    from plaint.channels.outbound import Sender
    from plaint.config import SourceConfig

__all__ = ["SENDERS", "open_channel", "open_senders", "parse_payload"]

# source kind -> "module:factory"; the factory takes (source, cursors=, environ=).
_ADAPTERS = {
    "imap": "plaint.channels.email.imap:ImapChannel.from_config",
    "twilio-sms": "plaint.channels.twilio.pull:TwilioSmsChannel.from_config",
    "twilio-calls": "plaint.channels.twilio.calls:TwilioCallsChannel.from_config",
    "cdr-folder": "plaint.channels.phone.folder:CdrFolderChannel.from_config",
    "amqp": "plaint.channels.phone.amqp:AmqpChannel.from_config",
}
# source kind -> the pyproject extra that installs its adapter's dependencies.
_EXTRAS = {"amqp": "amqp"}
# outbound channel -> "module:factory"; the factory takes (environ) and returns a Sender,
# or None when the environment does not configure that channel (its notifications wait).
SENDERS = {
    "email": "plaint.channels.email.smtp:SmtpSender.from_environ",
    "sms": "plaint.channels.twilio.sender:from_environ",
    "webhook": "plaint.channels.webhook:WebhookSender.from_environ",
}
# channel kind -> "module:function"; the function takes (payload, received_at=).
_PARSERS = {
    ChannelKind.EMAIL: "plaint.channels.email.parse:parse_email",
    ChannelKind.SMS: "plaint.channels.sms.parse:parse_sms",
    ChannelKind.PHONE: "plaint.channels.phone.parse:parse_call",
    ChannelKind.DESK: "plaint.channels.desk:parse_desk",
}


def _load(spec: str) -> Callable[..., object]:
    module, _, attr = spec.partition(":")
    target: object = importlib.import_module(module)
    for part in attr.split("."):
        target = getattr(target, part)
    assert callable(target)
    return target


def open_channel(
    source: SourceConfig, *, cursors: CursorStore, environ: Mapping[str, str]
) -> Channel:
    """Return the adapter for ``source``; raise ConfigError for an unknown kind, or one
    whose optional dependency is not installed (naming the extra to install)."""
    spec = _ADAPTERS.get(source.kind)
    if spec is None:
        raise ConfigError(f"sources: no adapter for kind {source.kind!r}")
    try:
        factory = _load(spec)
    except ModuleNotFoundError as exc:  # an optional dependency (kombu) is not installed
        extra = _EXTRAS.get(source.kind, source.kind)
        raise ConfigError(
            f"source {source.name!r}: kind {source.kind} needs {exc.name}: "
            f"pip install 'plaint[{extra}]'"
        ) from exc
    return factory(source, cursors=cursors, environ=environ)  # type: ignore[return-value]


def parse_payload(kind: ChannelKind, payload: bytes, *, received_at: datetime) -> InboundMessage:
    """Parse a raw payload; raise MalformedMessageError when it cannot be understood."""
    result = _load(_PARSERS[kind])(payload, received_at=received_at)
    assert isinstance(result, InboundMessage)
    return result


def open_senders(environ: Mapping[str, str]) -> dict[str, Sender]:
    """Return the senders ``environ`` configures, by channel; raise ConfigError when one is
    configured only in part (e.g. an SMTP host without ``PLAINT_SECRET_KEY``)."""
    senders: dict[str, Sender] = {}
    for channel, spec in SENDERS.items():
        sender = _load(spec)(environ)
        if sender is not None:
            senders[channel] = sender  # type: ignore[assignment]
    return senders
