"""The module ``plaint worker`` hands to dramatiq's CLI, which imports it in every worker
process. Importing it sets plaint's log format, builds plaint's broker from
``PLAINT_BROKER_URL`` (or ``PLAINT_REDIS_URL``), installs it as
dramatiq's global broker and declares the actors on it: dramatiq loads workers by module
name, so this is the one module in plaint that configures itself at import.
"""

from __future__ import annotations

import os

import dramatiq

from plaint.config import load_settings, require_broker_url
from plaint.queue.broker import build_broker
from plaint.workers.actors import declare_actors
from plaint.workers.logs import configure as configure_logging

__all__ = ["actors", "broker"]

_settings = load_settings(os.environ)
# Again in this process: its stderr is now the pipe dramatiq's parent reads lines from.
configure_logging(level=_settings.log_level, log_format=_settings.log_format)

broker = build_broker(require_broker_url(_settings))
dramatiq.set_broker(broker)
actors = declare_actors(broker)
