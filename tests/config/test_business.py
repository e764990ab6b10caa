"""Configuration errors name the key; settings come from the environ passed in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from plaint.config import Config, load_config, load_settings
from plaint.errors import CalendarCoverageError, ConfigError
from plaint.pipeline.calendar import Budget
from tests.config.samples import SOURCE


def test_defaults_need_no_file() -> None:
    config = load_config(None)
    assert config.timezone.key == "Asia/Shanghai"
    assert config.sla.default.first_response == Budget.clock(timedelta(hours=24))
    assert config.sla.default.closure == Budget.working_days(3)
    assert config.sla.policy("emergency").first_response == Budget.clock(timedelta(minutes=30))
    assert config.escalation.ladder == ("department_head", "property_manager", "regional_manager")
    assert {d.code for d in config.departments} >= {"engineering", "customer_service", "developer"}
    assert config.sources == ()


def test_settings_read_the_given_environ_only(tmp_path: Path) -> None:
    settings = load_settings({"PLAINT_DATA_DIR": str(tmp_path), "PLAINT_WORKER_THREADS": "3"})
    assert settings.database_url == f"sqlite:///{tmp_path / 'plaint.db'}"
    assert settings.redis_url is None
    assert settings.worker_threads == 3


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"PLAINT_WORKER_THREADS": "many"}, "PLAINT_WORKER_THREADS must be a whole number"),
        ({"PLAINT_WORKER_PROCESSES": "0"}, "PLAINT_WORKER_PROCESSES must be at least 1"),
    ],
)
def test_bad_settings_name_the_variable(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(environ)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[company]\ntimezone = 'Mars/Base'\nticket_prefix = 'TS'", "company.timezone"),
        ("[sla]\ndefault = { first_response = { hours = -1 }, closure = { hours = 1 } }",
         "sla.default.first_response.hours"),
        ("[sla]\ndefault = { first_response = { weeks = 1 }, closure = { hours = 1 } }",
         "sla.default.first_response.weeks: unknown key"),
        ("[sla]\ndefault = { first_response = { hours = 1 }, closure = { hours = 1 } }\n"
         "[[sla.policies]]\nname = 'x'\nmatch = { colour = 'red' }\n"
         "first_response = { hours = 1 }\nclosure = { hours = 1 }", r"sla.policies\[0\].match"),
        ("[escalation]\nladder = ['boss']", "escalation.ladder"),
        ("[[staff]]\ncode = 'a'\nrole = 'department_head'", r"staff\[0\].department"),
        ("[calendar]\nworking_hours = '18:00-09:00'", "working period"),
        ("[calendar]\ncolour = 1", "calendar.colour"),
        (SOURCE.replace('"imap"', '"fax"'), r"sources\[0\].kind"),
        (SOURCE.replace("port = 993", "port = 'x'"), r"sources\[0\].port"),
        (SOURCE.replace('password_env = "IMAP_PASSWORD"', ""), r"sources\[0\].password_env"),
        ("[routing]\nfallback_department = 'nobody'", "routing.fallback_department"),
        ("[taxonomy]\nfallback_sub_topic = 'x'\n[taxonomy.sub_topics]\nx = { category = 'c', "
         "department = 'ghost' }", "taxonomy.sub_topics.x.department"),
        ("this is = not toml [", "not valid TOML"),
    ],
)  # fmt: skip
def test_bad_config_names_the_key(
    make_config: Callable[[str], Config], text: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        make_config(text)


def test_a_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path / "absent.toml")


def test_a_company_file_replaces_only_the_tables_it_defines(
    make_config: Callable[[str], Config],
) -> None:
    config = make_config(
        SOURCE + "\n[sla]\ndefault = { first_response = { hours = 12 }, "
        "closure = { working_days = 5 } }\n"
    )
    assert config.source("mail").poll_interval == timedelta(seconds=30)
    assert config.sla.default.first_response == Budget.clock(timedelta(hours=12))
    assert config.sla.rules == ()
    assert config.taxonomy == load_config(None).taxonomy
    with pytest.raises(ConfigError, match="no source named 'other'"):
        config.source("other")


def test_the_example_config_is_valid() -> None:
    example = Path(__file__).resolve().parents[2] / "deploy" / "config.example.toml"
    config = load_config(example)
    assert config.sources


def test_a_year_no_calendar_data_covers_stops_start_up_naming_it() -> None:
    with pytest.raises(CalendarCoverageError, match="2101") as info:
        load_config(None, required_years=[2101])
    assert "years = [2101]" in str(info.value)


def test_a_provisional_year_does_not_stop_start_up() -> None:
    config = load_config(None, required_years=[2031])
    assert 2031 in config.calendar.provisional_years
    assert 2031 in config.staff_calendar.provisional_years


def test_a_company_can_declare_a_year_itself(make_config: Callable[[str], Config]) -> None:
    path_text = "[calendar]\nyears = [2031]\nholidays = [2031-01-01]\n"
    config = make_config(path_text)
    assert not config.calendar.is_working_day(__import__("datetime").date(2031, 1, 1))
