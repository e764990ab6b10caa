"""The operations settings: the broker, the workers' metrics address and the log format."""

from __future__ import annotations

import pytest

from plaint.config import load_settings
from plaint.errors import ConfigError


def test_metrics_are_not_served_and_logs_are_text_unless_asked() -> None:
    settings = load_settings({})
    assert settings.metrics_addr is None
    assert settings.log_format == "text"
    assert settings.broker_url is None


@pytest.mark.parametrize(
    ("raw", "address"),
    [
        ("127.0.0.1:9191", ("127.0.0.1", 9191)),
        ("[::1]:9191", ("::1", 9191)),
        ("0.0.0.0:9191", ("0.0.0.0", 9191)),
    ],
)
def test_the_metrics_address_is_host_and_port(raw: str, address: tuple[str, int]) -> None:
    assert load_settings({"PLAINT_METRICS_ADDR": raw}).metrics_addr == address


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"PLAINT_METRICS_ADDR": "9191"}, "PLAINT_METRICS_ADDR must be host:port"),
        ({"PLAINT_METRICS_ADDR": "localhost:99999"}, "PLAINT_METRICS_ADDR must be host:port"),
        ({"PLAINT_LOG_FORMAT": "xml"}, "PLAINT_LOG_FORMAT must be one of text, json"),
        ({"PLAINT_BROKER_URL": "kafka://k:9092"}, "PLAINT_BROKER_URL must start with"),
    ],
)
def test_bad_operations_settings_name_the_variable(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(environ)


def test_json_logs_may_be_asked_in_any_case() -> None:
    assert load_settings({"PLAINT_LOG_FORMAT": "JSON"}).log_format == "json"


def test_rabbitmq_without_redis_is_refused_and_queues_need_redis() -> None:
    from plaint.config import require_broker_url

    settings = load_settings({"PLAINT_BROKER_URL": "amqp://mq/%2F"})
    assert settings.queue_url is None
    with pytest.raises(ConfigError, match="PLAINT_REDIS_URL is not set"):
        require_broker_url(settings)
    both = load_settings({"PLAINT_BROKER_URL": "amqp://mq/%2F", "PLAINT_REDIS_URL": "redis://r"})
    assert both.queue_url == require_broker_url(both) == "amqp://mq/%2F"
