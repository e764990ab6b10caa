"""Configuration: process settings from the environment (:mod:`plaint.config.env`) and
business rules from one validated TOML file (:mod:`plaint.config.business`): its schema
(:mod:`plaint.config.schema`, with the SLA part in :mod:`plaint.config.sla` and the
calendar in :mod:`plaint.config.calendars`) and the error messages that name each key
(:mod:`plaint.config.validation`)."""

from plaint.config.business import (
    Config,
    DedupeConfig,
    Department,
    SourceConfig,
    load_config,
)
from plaint.config.env import Settings, load_settings, require_broker_url, require_redis_url

__all__ = [
    "Config",
    "DedupeConfig",
    "Department",
    "Settings",
    "SourceConfig",
    "load_config",
    "load_settings",
    "require_broker_url",
    "require_redis_url",
]
