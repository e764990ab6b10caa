"""``[messages]``: what residents are told and when — the message templates, quiet hours
(per community) and the follow-up survey's timing.

The packaged texts (``plaint/config/messages.toml``) are read first; then the file
``templates_file`` names (relative to the configuration file), then the inline
``[messages.templates.NAME.LANG]`` tables, each replacing the texts it gives. Every
template is checked at load (:func:`plaint.pipeline.texts.check_templates`): a variable a
template does not know is a ConfigError, shown by ``plaint config check``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from plaint.config.validation import PositiveNumber, QuietHoursText, Table, Text
from plaint.errors import ConfigError
from plaint.pipeline.quiet import QuietHours, parse_quiet_hours
from plaint.pipeline.texts import Templates, check_templates

__all__ = [
    "MessagesConfig",
    "MessagesTable",
    "build_messages",
    "packaged_messages",
    "resolve_templates_file",
]


DEFAULT_QUIET_HOURS = "21:00-08:00"


class TemplateText(Table):
    """``[messages.templates.NAME.LANG]``: a subject (mail only) and a body."""

    subject: str = ""
    body: Text


class CommunityMessages(Table):
    """``[messages.communities."NAME"]``: a community's own quiet hours (``off``: none)."""

    quiet_hours: QuietHoursText


class MessagesTable(Table):
    """``[messages]``: quiet hours, the survey's delay and answer window, templates."""

    quiet_hours: QuietHoursText = DEFAULT_QUIET_HOURS
    communities: dict[str, CommunityMessages] = Field(default_factory=dict)
    survey_delay_hours: Annotated[float, Field(ge=0)] = 24
    survey_window_days: PositiveNumber = 7
    templates_file: Text | None = None
    templates: dict[str, dict[str, TemplateText]] = Field(default_factory=dict)


@dataclass(frozen=True)
class MessagesConfig:
    """The resident-message settings plaint runs with."""

    templates: Templates
    quiet_hours: QuietHours | None = None
    community_quiet_hours: Mapping[str, QuietHours | None] = field(default_factory=dict)
    survey_delay: timedelta = timedelta(hours=24)
    survey_window: timedelta = timedelta(days=7)

    def quiet_for(self, community: str | None) -> QuietHours | None:
        """The quiet hours of ``community`` (the default where it has none of its own)."""
        if community is not None and community in self.community_quiet_hours:
            return self.community_quiet_hours[community]
        return self.quiet_hours


def resolve_templates_file(data: dict[str, Any], base: Path) -> None:
    """Make a relative ``messages.templates_file`` in the raw ``data`` relative to
    ``base`` (the configuration file's directory)."""
    table = data.get("messages")
    if isinstance(table, dict) and isinstance(table.get("templates_file"), str):
        path = Path(table["templates_file"])
        table["templates_file"] = str(path if path.is_absolute() else base / path)


def _read(path: Path | None) -> dict[str, Any]:
    try:
        if path is None:
            text = resources.files("plaint.config").joinpath("messages.toml").read_text("utf-8")
        else:
            text = path.read_text("utf-8")
        return tomllib.loads(text)
    except OSError as exc:
        raise ConfigError(f"messages.templates_file: cannot read {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"messages.templates_file: {path} is not valid TOML: {exc}") from exc


def _merge(into: dict[str, dict[str, Any]], extra: Mapping[str, Any]) -> None:
    for name, by_language in extra.items():
        if not isinstance(by_language, Mapping):
            raise ConfigError(f"messages.templates.{name}: must be a table of languages")
        into.setdefault(name, {}).update(by_language)


def build_messages(table: MessagesTable) -> MessagesConfig:
    """Build :class:`MessagesConfig`; raise ConfigError for a template that does not
    check (see :func:`~plaint.pipeline.texts.check_templates`) or an unreadable file."""
    raw: dict[str, dict[str, Any]] = {}
    _merge(raw, _read(None))
    if table.templates_file is not None:
        _merge(raw, _read(Path(table.templates_file)))
    _merge(raw, {name: {lang: text.model_dump() for lang, text in by.items()}
                 for name, by in table.templates.items()})  # fmt: skip
    return MessagesConfig(
        templates=check_templates(raw),
        quiet_hours=parse_quiet_hours(table.quiet_hours),
        community_quiet_hours={
            name: parse_quiet_hours(entry.quiet_hours) for name, entry in table.communities.items()
        },
        survey_delay=timedelta(hours=table.survey_delay_hours),
        survey_window=timedelta(days=table.survey_window_days),
    )


@cache
def packaged_messages() -> MessagesConfig:
    """The messages settings of the packaged defaults alone (for callers given none)."""
    return build_messages(MessagesTable())
