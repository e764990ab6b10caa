"""The module ``plaint worker`` hands to dramatiq's CLI, which imports it in every worker
process. Importing it builds plaint's broker from ``PLAINT_REDIS_URL``, installs it as
dramatiq's global broker and declares the actors on it: dramatiq loads workers by module
name, so this is the one module in plaint that configures itself at import.
"""

from __future__ import annotations

import logging
import os

import dramatiq

from plaint.config import load_settings, require_redis_url
from plaint.queue.broker import build_broker
from plaint.workers.actors import declare_actors
from plaint.workers.logfilter import install as install_log_redactor

__all__ = ["actors", "broker"]

_settings = load_settings(os.environ)
# dramatiq configures worker logging at INFO before importing this module.
logging.getLogger().setLevel(_settings.log_level)
logging.getLogger("dramatiq").setLevel(_settings.log_level)
install_log_redactor()

broker = build_broker(require_redis_url(_settings))
dramatiq.set_broker(broker)
actors = declare_actors(broker)
