"""The ``[[sources]]`` tables: one inbound source each, of a ``kind`` with its own keys.

One table model covers every kind, so its errors name keys exactly as the file spells them
(``sources[0].host: required key is missing``); :meth:`SourceEntry._keys_of_kind` then
refuses a key that belongs to another kind and asks for the keys the kind requires.

- ``imap``: ``host``, ``port``, ``username``, ``password_env`` (``tls``, ``folder``;
  ``ack`` = ``none`` | ``seen`` | ``move`` to ``ack_folder``, always after the row is
  durable; ``idle`` listens with IMAP IDLE where offered; ``max_message_bytes``).
- ``cdr-folder``: a drop folder of call-centre CSV exports: ``path``, ``format``
  (``asterisk`` Master.csv, ``freeswitch`` cdr-csv default template, or ``columns`` with a
  ``columns`` map from call-record fields to header names), ``processed`` (where finished
  files go, relative to ``path`` unless absolute; default ``processed``), ``encoding``
  (``auto``: UTF-8, else GB18030),
  ``timezone`` of the stamps (default the company's), ``pattern`` of file names.
- ``amqp``: call-record events on a broker queue: ``url_env`` (the environment variable
  holding the broker URL, which carries credentials), ``queue``, ``exchange``
  (``routing_key`` defaults to the queue's name; ``dead_letter_exchange`` defaults to
  ``<exchange>.dlx``, "" for none).
- ``twilio-sms`` / ``twilio-calls``: inbound SMS, or missed calls and voicemail
  transcriptions, pulled from Twilio's REST API since a stored cursor; no keys beyond the
  name: the account is ``PLAINT_TWILIO_*`` in the environment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from plaint.config.validation import (
    PositiveNumber,
    Table,
    Text,
    TimeZoneName,
    key_error,
    matching,
)

__all__ = [
    "CALL_FIELDS",
    "AmqpOptions",
    "CdrFolderOptions",
    "SourceConfig",
    "SourceEntry",
    "build_source",
]

# The name of an environment variable, e.g. PLAINT_IMAP_PASSWORD.
EnvName = Annotated[
    str, matching(r"[A-Za-z_][A-Za-z0-9_]*", "an environment variable name like IMAP_PASSWORD")
]
Port = Annotated[int, Field(ge=1, le=65535)]
# The fields of a call record a ``columns`` map may name (see plaint.channels.phone.cdr).
CALL_FIELDS = ("call_id", "caller", "caller_name", "called", "started_at", "duration",
               "status", "agent", "notes")  # fmt: skip
CallField = Literal["call_id", "caller", "caller_name", "called", "started_at", "duration",
                    "status", "agent", "notes"]  # fmt: skip

_COMMON = frozenset({"name", "kind", "poll_interval_seconds"})
_REQUIRED = {
    "imap": ("host", "port", "username", "password_env"),
    "cdr-folder": ("path", "format"),
    "amqp": ("url_env", "queue", "exchange"),
    "twilio-sms": (),
    "twilio-calls": (),
}
_OPTIONAL = {
    "imap": ("tls", "folder", "ack", "ack_folder", "idle", "max_message_bytes"),
    "cdr-folder": ("columns", "processed", "encoding", "timezone", "pattern"),
    "amqp": ("routing_key", "dead_letter_exchange"),
    "twilio-sms": (),
    "twilio-calls": (),
}


class SourceEntry(Table):
    """One ``[[sources]]`` table; which keys it may and must hold depends on ``kind``.
    Secrets are read from environment variables the table names, never written in it."""

    name: Text
    kind: Literal["imap", "twilio-sms", "twilio-calls", "cdr-folder", "amqp"]
    poll_interval_seconds: PositiveNumber = 30
    # imap
    host: Text | None = None
    port: Port | None = None
    tls: bool | None = None
    username: Text | None = None
    password_env: EnvName | None = None
    folder: Text | None = None
    # What acking a stored mail does ("none" leaves it untouched, "seen" sets \Seen, "move"
    # moves it to ``ack_folder``), whether to listen with IDLE where the server has it, and
    # the largest mail taken in whole (a larger one is kept as its headers).
    ack: Literal["none", "seen", "move"] | None = None
    ack_folder: Text | None = None
    idle: bool | None = None
    max_message_bytes: Annotated[int, Field(ge=1024)] | None = None
    # cdr-folder
    path: Text | None = None
    format: Literal["asterisk", "freeswitch", "columns"] | None = None
    columns: dict[CallField, Text] | None = None
    processed: Text | None = None
    encoding: Text | None = None
    timezone: TimeZoneName | None = None
    pattern: Text | None = None
    # amqp
    url_env: EnvName | None = None
    queue: Text | None = None
    exchange: Text | None = None
    routing_key: Text | None = None
    dead_letter_exchange: str | None = None

    @model_validator(mode="after")
    def _keys_of_kind(self) -> Self:
        """The kind's required keys are given; no key of another kind is."""
        given = self.model_dump(exclude_none=True).keys() - _COMMON
        allowed = {*_REQUIRED[self.kind], *_OPTIONAL[self.kind]}
        for key in sorted(given - allowed):
            raise key_error(f"not a key of kind {self.kind}", key)
        for key in _REQUIRED[self.kind]:
            if key not in given:
                raise key_error("required key is missing", key)
        if self.kind == "cdr-folder":
            self._check_columns()
        return self

    def _check_columns(self) -> None:
        if (self.format == "columns") != (self.columns is not None):
            raise key_error('give columns exactly when format is "columns"', "columns")
        if self.columns is not None:
            for needed in ("caller", "started_at"):
                if needed not in self.columns:
                    raise key_error("required key is missing", "columns", needed)


@dataclass(frozen=True)
class CdrFolderOptions:
    """A drop folder of call-detail-record CSV files (see the module docstring)."""

    path: Path
    format: str
    processed: Path
    timezone: str
    columns: tuple[tuple[str, str], ...] = ()
    encoding: str = "auto"
    pattern: str = "*.csv"


@dataclass(frozen=True)
class AmqpOptions:
    """A broker queue of call-record events; the URL is read from ``url_env``."""

    url_env: str
    queue: str
    exchange: str
    routing_key: str
    dead_letter_exchange: str


@dataclass(frozen=True)
class SourceConfig:
    """One inbound source. Secrets are named by environment variable, never stored here.
    The IMAP keys are empty for other kinds; ``cdr`` and ``amqp`` are set for theirs."""

    name: str
    kind: str
    host: str = ""
    port: int = 0
    tls: bool = True
    username: str = ""
    password_env: str = ""
    folder: str = "INBOX"
    poll_interval: timedelta = timedelta(seconds=30)
    ack: str = "none"
    ack_folder: str = "Processed"
    idle: bool = True
    max_message_bytes: int = 25_000_000
    cdr: CdrFolderOptions | None = None
    amqp: AmqpOptions | None = None
    # (key, environment variable) of each secret the source reads from the environment.
    secret_envs: tuple[tuple[str, str], ...] = field(default=())


def build_source(entry: SourceEntry, *, company_timezone: str) -> SourceConfig:
    """The :class:`SourceConfig` of a validated table."""
    interval = timedelta(seconds=entry.poll_interval_seconds)
    if entry.kind == "cdr-folder":
        assert entry.path is not None
        assert entry.format is not None
        path = Path(entry.path)
        cdr = CdrFolderOptions(
            path=path, format=entry.format,
            processed=path / (entry.processed or "processed"),  # relative to the folder
            timezone=entry.timezone or company_timezone,
            columns=tuple((entry.columns or {}).items()),
            encoding=entry.encoding or "auto", pattern=entry.pattern or "*.csv",
        )  # fmt: skip
        return SourceConfig(name=entry.name, kind=entry.kind, poll_interval=interval, cdr=cdr)
    if entry.kind == "amqp":
        assert entry.url_env
        assert entry.queue
        assert entry.exchange
        dlx = entry.dead_letter_exchange
        amqp = AmqpOptions(
            url_env=entry.url_env, queue=entry.queue, exchange=entry.exchange,
            routing_key=entry.routing_key or entry.queue,
            dead_letter_exchange=f"{entry.exchange}.dlx" if dlx is None else dlx,
        )  # fmt: skip
        return SourceConfig(name=entry.name, kind=entry.kind, poll_interval=interval, amqp=amqp,
                            secret_envs=(("url_env", entry.url_env),))  # fmt: skip
    if entry.kind in ("twilio-sms", "twilio-calls"):
        return SourceConfig(name=entry.name, kind=entry.kind, poll_interval=interval)
    assert entry.host
    assert entry.port
    assert entry.username
    assert entry.password_env
    return SourceConfig(
        name=entry.name, kind=entry.kind, host=entry.host, port=entry.port,
        tls=True if entry.tls is None else entry.tls, username=entry.username,
        password_env=entry.password_env, folder=entry.folder or "INBOX",
        poll_interval=interval, secret_envs=(("password_env", entry.password_env),),
        ack=entry.ack or "none", ack_folder=entry.ack_folder or "Processed",
        idle=True if entry.idle is None else entry.idle,
        max_message_bytes=entry.max_message_bytes or 25_000_000,
    )  # fmt: skip
