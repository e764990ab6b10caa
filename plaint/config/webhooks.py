"""Outbound webhooks: the ``[[webhooks]]`` tables of the TOML configuration (validated by
:func:`plaint.config.business.load_config`) and the values built from them.

::

    [[webhooks]]
    name = "crm"                                   # unique; part of each delivery's key
    url = "https://crm.example.com/hooks/plaint"   # http(s)
    events = ["ticket.created", "ticket.closed"]   # default: all four
    secret_env = "PLAINT_WEBHOOK_CRM_SECRET"       # the environment variable holding the
                                                   # HMAC-SHA256 key (never the key itself)

Events: ``ticket.created`` (triage opened it), ``ticket.updated`` (a staff action or an
extension), ``ticket.breached`` (a clock's due time passed unmet), ``ticket.closed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal, get_args

from pydantic import Field

from plaint.config.validation import Table, Text, matching

__all__ = ["EVENTS", "WebhookConfig", "WebhookEntry", "build_webhooks"]

Event = Literal["ticket.created", "ticket.updated", "ticket.breached", "ticket.closed"]
EVENTS: tuple[str, ...] = get_args(Event)
Url = Annotated[str, matching(r"https?://[^\s]{3,290}", "an http(s) URL of at most 300 chars")]
EnvName = Annotated[str, matching(r"[A-Z_][A-Z0-9_]*", "an environment variable name")]


def _all_events() -> list[Event]:
    return ["ticket.created", "ticket.updated", "ticket.breached", "ticket.closed"]


class WebhookEntry(Table):
    """One ``[[webhooks]]`` table."""

    name: Annotated[str, matching(r"[a-z0-9][a-z0-9_.-]{0,39}", "a short lower-case name")]
    url: Url
    secret_env: EnvName
    events: Annotated[list[Event], Field(min_length=1)] = Field(default_factory=_all_events)
    description: Text | None = None


@dataclass(frozen=True)
class WebhookConfig:
    """Where the events of ``events`` are posted, signed with the secret in the
    environment variable ``secret_env``."""

    name: str
    url: str
    secret_env: str
    events: frozenset[str]


def build_webhooks(entries: list[WebhookEntry]) -> tuple[WebhookConfig, ...]:
    """Build the webhooks from the validated ``[[webhooks]]`` tables."""
    return tuple(
        WebhookConfig(name=e.name, url=e.url, secret_env=e.secret_env, events=frozenset(e.events))
        for e in entries
    )
