"""``[early_warning]``: the spike test of the early-warning page and who hears of a spike.

    [early_warning]
    window_hours = 24          # the recent window
    baseline_weeks = 4         # the usual rate: the same place and sub-topic, these weeks before
    significance = 0.001       # the largest P(X >= recent) still called a spike
    min_count = 3              # the fewest recent tickets that can be a spike
    notify = ["property_manager"]   # roles told once per spike; [] (the default): nobody

Notification is off unless ``notify`` names roles: the page and ``plaint report warnings``
show spikes either way. A department role (``department_head``, ``member``) is read as
that role in the department that owns the sub-topic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated

from pydantic import Field

from plaint.config.sla import Role
from plaint.config.validation import PositiveNumber, Table
from plaint.pipeline.spikes import SpikeTest

__all__ = ["EarlyWarningConfig", "EarlyWarningTable", "build_early_warning"]


class EarlyWarningTable(Table):
    """``[early_warning]``: the window, the baseline, the test's thresholds, who is told."""

    window_hours: Annotated[float, Field(gt=0, le=24 * 7)] = 24
    baseline_weeks: Annotated[int, Field(ge=1, le=52)] = 4
    significance: Annotated[float, Field(gt=0, lt=1)] = 0.001
    min_count: Annotated[int, Field(ge=1)] = 3
    notify: list[Role] = Field(default_factory=list)
    sweep_minutes: PositiveNumber = 10


@dataclass(frozen=True)
class EarlyWarningConfig:
    """The spike test and the roles told of a new spike (empty: nobody)."""

    test: SpikeTest = field(default_factory=SpikeTest)
    baseline: timedelta = timedelta(weeks=4)
    notify: tuple[str, ...] = ()
    sweep_interval: timedelta = timedelta(minutes=10)


def build_early_warning(table: EarlyWarningTable) -> EarlyWarningConfig:
    """The :class:`EarlyWarningConfig` of a validated table. The baseline is a whole
    number of windows (rounded down, at least one)."""
    window = timedelta(hours=table.window_hours)
    baseline = timedelta(weeks=table.baseline_weeks)
    periods = max(1, int(baseline / window))
    test = SpikeTest(window=window, baseline_periods=periods, significance=table.significance,
                     min_count=table.min_count)  # fmt: skip
    return EarlyWarningConfig(
        test=test,
        baseline=window * periods,
        notify=tuple(dict.fromkeys(table.notify)),
        sweep_interval=timedelta(minutes=table.sweep_minutes),
    )
