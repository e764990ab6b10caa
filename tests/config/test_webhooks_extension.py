"""The ``[[webhooks]]`` tables and the SLA policies' ``extension_limit``."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from plaint.config import Config
from plaint.config.webhooks import EVENTS
from plaint.errors import ConfigError
from plaint.pipeline.calendar import Budget

HOOK = "[[webhooks]]\nname = 'crm'\nurl = 'https://crm.example.com/h'\nsecret_env = 'CRM_KEY'\n"


def problems(make_config: Callable[[str], Config], text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        make_config(text)
    return str(info.value).splitlines()


def test_a_webhook_wants_every_event_unless_told(make_config: Callable[[str], Config]) -> None:
    [hook] = make_config(HOOK).webhooks
    assert (hook.name, hook.url, hook.secret_env) == ("crm", "https://crm.example.com/h",
                                                      "CRM_KEY")  # fmt: skip
    assert hook.events == frozenset(EVENTS)
    [only] = make_config(HOOK + "events = ['ticket.closed']\n").webhooks
    assert only.events == {"ticket.closed"}
    assert make_config("").webhooks == ()


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (HOOK.replace("https://crm.example.com/h", "ftp://x"), "webhooks[0].url"),
        (HOOK.replace("CRM_KEY", "not a name"), "webhooks[0].secret_env"),
        (HOOK + "events = ['ticket.eaten']\n", "webhooks[0].events[0]"),
        (HOOK + "secret = 'inline'\n", "webhooks[0].secret"),
        (HOOK * 2, "webhooks[1].name"),
    ],
    ids=["url", "env name", "event", "inline secret", "twice"],
)
def test_bad_webhooks_are_named(
    make_config: Callable[[str], Config], text: str, where: str
) -> None:
    assert problems(make_config, text)[0].startswith(where)


def test_the_extension_limit_defaults_to_15_working_days(
    make_config: Callable[[str], Config],
) -> None:
    config = make_config("")
    assert config.sla.default.extension_limit == Budget.working_days(15)
    custom = make_config(
        "[sla]\ndefault = { first_response = { hours = 24 }, closure = { working_days = 3 },"
        " extension_limit = { working_days = 10 } }\n"
        "[[sla.policies]]\nname = 'p'\nmatch = { level = 2 }\nfirst_response = { hours = 12 }\n"
        "closure = { working_days = 3 }\nextension_limit = { working_days = 5 }\n"
    )
    assert custom.sla.default.extension_limit == Budget.working_days(10)
    assert custom.sla.policy("p").extension_limit == Budget.working_days(5)
