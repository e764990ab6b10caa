"""Process settings from the environment.

Process settings (where the database and Redis are, secrets, concurrency) come from
``PLAINT_*`` environment variables, read from an ``environ`` mapping passed in, never from
``os.environ`` directly. A bad value raises :class:`~plaint.errors.ConfigError` naming the
variable.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from plaint.config.twilio import TwilioSettings, http_url, load_twilio_settings
from plaint.errors import ConfigError

__all__ = ["LOG_FORMATS", "Settings", "load_settings", "require_broker_url", "require_redis_url"]

# How log lines are written: ``text`` for people, ``json`` (one object a line) for collectors.
LOG_FORMATS = ("text", "json")
# The broker URL schemes plaint understands: Redis (the default) and RabbitMQ.
_BROKER_SCHEMES = ("redis", "rediss", "unix", "amqp", "amqps")


@dataclass(frozen=True)
class Settings:
    """Process settings; ``redis_url`` of ``None`` means "start an embedded Redis".

    ``web_trusted_proxies`` are the IP addresses or networks of reverse proxies whose
    ``X-Forwarded-For``/``-Proto`` headers the web server believes; empty: nobody's.
    ``twilio`` is ``None`` unless Twilio's account SID and token are set.
    ``secret_key`` (``PLAINT_SECRET_KEY``) signs outbound Message-IDs, so our own mail is
    recognised when it comes back; ``None``: nothing is signed or recognised.
    ``broker_url`` (``PLAINT_BROKER_URL``) is the message broker when it is not Redis
    (``amqp://`` for RabbitMQ); ``None``: the queues live in ``redis_url``, which locks and
    the clock's leadership need either way. ``metrics_addr`` (``PLAINT_METRICS_ADDR``,
    ``host:port``) is where ``plaint worker`` serves Prometheus metrics; ``None``: not
    served. ``log_format`` is one of :data:`LOG_FORMATS`. ``outbox_lease``
    (``PLAINT_OUTBOX_LEASE_SECONDS``, default 300) is how long a notification claimed by a
    dispatcher that then died waits before another takes it over (asking Twilio first
    whether it went out): shorter where sends are fast and a dead dispatcher should not
    delay an acknowledgement by minutes. ``public_url`` (``PLAINT_PUBLIC_URL``) is the
    site's address as others reach it (Twilio's webhooks, the public notice's share
    links); empty: not set (:attr:`site_url` falls back to the web app's own address)."""

    database_url: str
    redis_url: str | None
    data_dir: Path
    config_path: Path | None
    worker_processes: int
    worker_threads: int
    log_level: str
    model_dir: Path | None = None
    web_host: str = "127.0.0.1"
    web_port: int = 8000
    web_trusted_proxies: tuple[str, ...] = ()
    twilio: TwilioSettings | None = None
    secret_key: str | None = None
    broker_url: str | None = None
    metrics_addr: tuple[str, int] | None = None
    log_format: str = "text"
    outbox_lease: timedelta = timedelta(minutes=5)
    public_url: str = ""

    @property
    def site_url(self) -> str:
        """``public_url``, else ``http://PLAINT_WEB_HOST:PLAINT_WEB_PORT``."""
        return self.public_url or f"http://{self.web_host}:{self.web_port}"

    @property
    def queue_url(self) -> str | None:
        """Where messages are enqueued: ``broker_url``, else ``redis_url``; ``None`` without
        Redis (which a RabbitMQ site needs too, for locks: no worker would be running)."""
        if self.redis_url is None:
            return None
        return self.broker_url or self.redis_url


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Read ``PLAINT_*`` settings from ``environ``; raise ConfigError naming a bad variable."""
    data_dir = Path(
        environ.get("PLAINT_DATA_DIR")
        or Path(environ.get("XDG_DATA_HOME") or Path.home() / ".local/share") / "plaint"
    )
    config = environ.get("PLAINT_CONFIG")
    return Settings(
        database_url=environ.get("PLAINT_DATABASE_URL") or f"sqlite:///{data_dir / 'plaint.db'}",
        redis_url=environ.get("PLAINT_REDIS_URL") or None,
        data_dir=data_dir,
        config_path=Path(config) if config else None,
        worker_processes=_env_int(environ, "PLAINT_WORKER_PROCESSES", 2),
        worker_threads=_env_int(environ, "PLAINT_WORKER_THREADS", 4),
        log_level=environ.get("PLAINT_LOG_LEVEL", "INFO").upper(),
        model_dir=Path(environ["PLAINT_MODEL_DIR"]) if environ.get("PLAINT_MODEL_DIR") else None,
        web_host=environ.get("PLAINT_WEB_HOST") or "127.0.0.1",
        web_port=_env_port(environ, "PLAINT_WEB_PORT", 8000),
        web_trusted_proxies=_env_networks(environ, "PLAINT_WEB_TRUSTED_PROXIES"),
        twilio=load_twilio_settings(environ),
        secret_key=environ.get("PLAINT_SECRET_KEY") or None,
        broker_url=_env_broker(environ, "PLAINT_BROKER_URL"),
        metrics_addr=_env_address(environ, "PLAINT_METRICS_ADDR"),
        log_format=_env_choice(environ, "PLAINT_LOG_FORMAT", LOG_FORMATS),
        outbox_lease=timedelta(seconds=_env_int(environ, "PLAINT_OUTBOX_LEASE_SECONDS", 300)),
        public_url=http_url(environ, "PLAINT_PUBLIC_URL"),
    )


def _env_int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < 1:
        raise ConfigError(f"{name} must be at least 1, got {value}")
    return value


_MAX_PORT = 65535


def _env_port(environ: Mapping[str, str], name: str, default: int) -> int:
    port = _env_int(environ, name, default)
    if port > _MAX_PORT:
        raise ConfigError(f"{name} must be a TCP port from 1 to {_MAX_PORT}, got {port}")
    return port


def _env_networks(environ: Mapping[str, str], name: str) -> tuple[str, ...]:
    """A comma-separated list of IP addresses or networks (``10.0.0.0/8``), each checked:
    the web server would otherwise take a mistyped entry for a literal host name and
    silently trust nobody."""
    items = [item.strip() for item in environ.get(name, "").split(",") if item.strip()]
    for item in items:
        try:
            ipaddress.ip_network(item)
        except ValueError:
            raise ConfigError(
                f"{name}: {item!r} is not an IP address or network (e.g. 10.0.0.5, 10.0.0.0/8)"
            ) from None
    return tuple(items)


def _env_broker(environ: Mapping[str, str], name: str) -> str | None:
    url = environ.get(name) or None
    if url is not None and url.partition("://")[0] not in _BROKER_SCHEMES:
        raise ConfigError(f"{name} must start with one of {', '.join(_BROKER_SCHEMES)}://")
    return url


def _env_address(environ: Mapping[str, str], name: str) -> tuple[str, int] | None:
    """``host:port`` (``[::1]:9191`` for IPv6); unset or empty: ``None``."""
    raw = environ.get(name) or ""
    if not raw:
        return None
    host, sep, port = raw.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) <= _MAX_PORT:
        raise ConfigError(f"{name} must be host:port (e.g. 127.0.0.1:9191), got {raw!r}")
    return host.strip("[]"), int(port)


def _env_choice(environ: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    value = (environ.get(name) or choices[0]).lower()
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def require_broker_url(settings: Settings) -> str:
    """Return the URL of the message broker: ``PLAINT_BROKER_URL`` when set, else the Redis
    URL; raise ConfigError when Redis is not set (RabbitMQ sites need it too, for locks)."""
    redis_url = require_redis_url(settings)
    return settings.broker_url or redis_url


def require_redis_url(settings: Settings) -> str:
    """Return the Redis URL of ``settings``; raise ConfigError when it is not set (a worker
    or clock needs ``PLAINT_REDIS_URL``; ``plaint run`` sets it for its children)."""
    if settings.redis_url is None:
        raise ConfigError("PLAINT_REDIS_URL is not set (plaint run starts an embedded Redis)")
    return settings.redis_url
