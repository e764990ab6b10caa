"""``[early_warning]``: defaults, the baseline in whole windows, and strict validation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from plaint.config import Config, load_config
from plaint.errors import ConfigError


def test_by_default_a_day_against_four_weeks_and_nobody_is_told() -> None:
    settings = load_config(None).early_warning
    assert settings.test.window == timedelta(hours=24)
    assert settings.test.baseline_periods == 28
    assert (settings.test.significance, settings.test.min_count) == (0.001, 3)
    assert settings.notify == ()
    assert settings.sweep_interval == timedelta(minutes=10)


def test_the_baseline_is_a_whole_number_of_windows(make_config: Callable[[str], Config]) -> None:
    config = make_config(
        '[early_warning]\nwindow_hours = 72\nbaseline_weeks = 2\nnotify = ["property_manager"]\n'
    )
    settings = config.early_warning
    assert settings.test.baseline_periods == 4  # 14 days / 3 days, rounded down
    assert settings.baseline == timedelta(days=12)
    assert settings.notify == ("property_manager",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("window_hours = 0", r"early_warning\.window_hours"),
        ("baseline_weeks = 0", r"early_warning\.baseline_weeks"),
        ("significance = 1.5", r"early_warning\.significance"),
        ("min_count = 0", r"early_warning\.min_count"),
        ('notify = ["boss"]', r"early_warning\.notify"),
        ('notify = "property_manager"', r"early_warning\.notify"),
        ("window = 24", r"early_warning\.window"),
    ],
)
def test_bad_settings_name_the_key(
    make_config: Callable[[str], Config], text: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        make_config(f"[early_warning]\n{text}\n")
