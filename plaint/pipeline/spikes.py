"""Early warning (预警): is one sub-topic unusually frequent in one building or community?

The test, for each place (a community, or a building of a community) and sub-topic: the
tickets of the recent window are a Poisson count whose rate is the place's usual rate for
that sub-topic, estimated from the baseline — the same place and sub-topic over the
``baseline_periods`` windows of equal length before the recent one. The usual rate is

    expected = (baseline + PRIOR_TICKETS) / baseline_periods

The prior (as if one ticket had been seen in the baseline) keeps a never-seen sub-topic
from having an expected count of zero, under which any ticket at all would be "impossible".
A spike is a recent count of at least ``min_count`` whose upper tail probability
``P(X >= recent)`` under that rate is at most ``significance``. The tail probability falls
as the recent count grows and rises as the baseline grows, so one more recent ticket never
clears a spike and one more baseline ticket never raises one.

A community whose spike is explained by one of its buildings (a building of that
community flagged for the same sub-topic) is not reported separately: one event, one
warning.

Pure: no database, no clock; the counts and the test's settings are arguments.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta

__all__ = [
    "PRIOR_TICKETS",
    "Place",
    "Spike",
    "SpikeTest",
    "community_counts",
    "find_spikes",
    "poisson_tail",
]

# Pseudo-count added to every baseline (tickets), spread over the baseline periods.
PRIOR_TICKETS = 1.0


@dataclass(frozen=True, order=True)
class Place:
    """Where tickets are counted: a community (``building`` None) or one building of it.
    A building whose resident has no community is counted under community ``""``."""

    community: str
    building: str | None = None

    @property
    def kind(self) -> str:
        """``"building"`` or ``"community"``."""
        return "community" if self.building is None else "building"

    @property
    def key(self) -> str:
        """A stable text identity: ``community`` or ``community/building``."""
        return self.community if self.building is None else f"{self.community}/{self.building}"

    def within(self, other: Place) -> bool:
        """True when this is a building of the community ``other``."""
        return (
            self.building is not None
            and other.building is None
            and (self.community == other.community)
        )


@dataclass(frozen=True)
class SpikeTest:
    """The test's settings: the recent ``window``, how many equal windows before it make
    the baseline, the largest tail probability still called a spike, and the fewest
    recent tickets that can be one."""

    window: timedelta = timedelta(hours=24)
    baseline_periods: int = 28
    significance: float = 0.001
    min_count: int = 3


@dataclass(frozen=True)
class Spike:
    """One flagged (place, sub-topic): ``recent`` tickets in the window against
    ``expected`` (the usual rate per window), ``p_value`` = P(X >= recent), and ``ratio``
    = recent / expected."""

    place: Place
    sub_topic: str
    recent: int
    baseline: int
    expected: float
    p_value: float

    @property
    def ratio(self) -> float:
        """How many times the usual count the recent count is."""
        return self.recent / self.expected


def poisson_tail(count: int, rate: float) -> float:
    """Return P(X >= ``count``) for X ~ Poisson(``rate``); 1.0 for ``count`` <= 0.

    scipy's ``pdtrc(k, m)`` is P(X > k), computed through the regularised incomplete
    gamma function, so it stays accurate for tail probabilities far below 1e-16 (where
    ``1 - cdf`` would round to zero).

    scipy is imported here, on the first test, not with the module: the configuration
    imports this module, and every plaint process would otherwise pay scipy's and numpy's
    start-up (about half a second of CPU) for a function only the warning sweep calls."""
    from scipy.special import pdtrc  # type: ignore[import-untyped]

    if count <= 0:
        return 1.0
    return float(pdtrc(count - 1, rate))


Counts = Mapping[tuple[Place, str], int]


def community_counts(counts: Counts) -> dict[tuple[Place, str], int]:
    """Return ``counts`` (per building, or per community for tickets without a building)
    with every community's total added: the building rows are kept, and each community
    gets the sum of its buildings and its own building-less rows."""
    out: dict[tuple[Place, str], int] = defaultdict(int)
    for (place, sub_topic), n in counts.items():
        if place.building is not None:
            out[(place, sub_topic)] += n
        out[(Place(place.community), sub_topic)] += n
    return dict(out)


def find_spikes(*, recent: Counts, baseline: Counts, test: SpikeTest) -> list[Spike]:
    """Return the spikes among the places and sub-topics of ``recent``, most improbable
    first (then by place and sub-topic). Both mappings are per place as
    :func:`community_counts` returns them (a missing key counts zero)."""
    flagged = [
        spike
        for (place, sub_topic), n in recent.items()
        if (spike := _test(place, sub_topic, n, baseline.get((place, sub_topic), 0), test))
    ]
    kept = _explained_communities_dropped(flagged)
    return sorted(kept, key=lambda s: (s.p_value, s.place, s.sub_topic))


def _test(
    place: Place, sub_topic: str, recent: int, baseline: int, test: SpikeTest
) -> Spike | None:
    if recent < test.min_count:
        return None
    expected = (baseline + PRIOR_TICKETS) / test.baseline_periods
    p_value = poisson_tail(recent, expected)
    if p_value > test.significance:
        return None
    return Spike(place, sub_topic, recent, baseline, expected, p_value)


def _explained_communities_dropped(spikes: Iterable[Spike]) -> list[Spike]:
    spikes = list(spikes)
    buildings = {(s.place.community, s.sub_topic) for s in spikes if s.place.building is not None}
    return [
        s for s in spikes
        if s.place.building is not None or (s.place.community, s.sub_topic) not in buildings
    ]  # fmt: skip
