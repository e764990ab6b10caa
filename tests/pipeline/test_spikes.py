from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaint.pipeline.spikes import (
    Place,
    SpikeTest,
    community_counts,
    find_spikes,
    poisson_tail,
)

TEST = SpikeTest(baseline_periods=28, significance=0.001, min_count=3)
A3 = Place("阳光花园", "3")
A = Place("阳光花园")


def _by_hand(count: int, rate: float) -> float:
    return 1 - sum(math.exp(-rate) * rate**i / math.factorial(i) for i in range(count))


@pytest.mark.parametrize(
    ("count", "rate"), [(0, 2.0), (1, 0.5), (3, 1 / 28), (5, 3.0), (12, 3.04), (2, 10.0)]
)
def test_the_tail_is_the_poisson_upper_tail(count: int, rate: float) -> None:
    assert poisson_tail(count, rate) == pytest.approx(_by_hand(count, rate), rel=1e-9)


def test_the_tail_stays_accurate_far_below_machine_epsilon() -> None:
    # 1 - cdf would be 0.0 here; the tail's leading term is rate**k e**-rate / k!.
    leading = math.exp(-0.1) * 0.1**30 / math.factorial(30)
    assert poisson_tail(30, 0.1) == pytest.approx(leading, rel=1e-2)


@pytest.mark.parametrize(
    ("recent", "baseline", "flagged"),
    [
        (1, 0, False),  # a never-seen sub-topic: one ticket is not a spike
        (2, 0, False),  # below min_count, however improbable
        (3, 0, True),  # three where none were seen in four weeks
        (3, 84, False),  # three a day is the usual rate
        (7, 84, False),  # P(X >= 7 | 3.04) = 0.03
        (12, 84, True),  # P(X >= 12 | 3.04) = 2e-4
    ],
)
def test_a_spike_is_an_improbable_count(recent: int, baseline: int, flagged: bool) -> None:
    spikes = find_spikes(
        recent={(A3, "lift"): recent}, baseline={(A3, "lift"): baseline}, test=TEST
    )
    assert bool(spikes) is flagged
    if spikes:
        (spike,) = spikes
        assert spike.expected == pytest.approx((baseline + 1) / 28)
        assert spike.p_value == pytest.approx(_by_hand(recent, spike.expected), rel=1e-9)
        assert spike.ratio == pytest.approx(recent / spike.expected)


def test_a_community_explained_by_one_of_its_buildings_is_not_reported_twice() -> None:
    recent = community_counts({(A3, "lift"): 5, (Place("阳光花园", "4"), "noise"): 4})
    assert recent[(A, "lift")] == 5
    spikes = find_spikes(recent=recent, baseline={}, test=TEST)
    assert {(s.place, s.sub_topic) for s in spikes} == {
        (A3, "lift"), (Place("阳光花园", "4"), "noise"),
    }  # fmt: skip


def test_a_community_spread_over_its_buildings_is_reported_for_the_community() -> None:
    counts = {(Place("阳光花园", str(b)), "water_supply"): 1 for b in range(1, 7)}
    spikes = find_spikes(recent=community_counts(counts), baseline={}, test=TEST)
    assert [(s.place, s.recent) for s in spikes] == [(A, 6)]


def test_community_counts_add_buildings_and_building_less_tickets() -> None:
    counts = community_counts({(A3, "lift"): 2, (A, "lift"): 1, (Place("", "9"), "lift"): 1})
    assert counts == {(A3, "lift"): 2, (A, "lift"): 3, (Place("", "9"), "lift"): 1,
                      (Place(""), "lift"): 1}  # fmt: skip


counts = st.integers(min_value=0, max_value=60)


@given(recent=counts, baseline=st.integers(min_value=0, max_value=500), more=counts)
def test_more_recent_tickets_never_clear_a_spike(recent: int, baseline: int, more: int) -> None:
    def flagged(n: int) -> bool:
        return bool(find_spikes(recent={(A, "lift"): n}, baseline={(A, "lift"): baseline},
                                test=TEST))  # fmt: skip

    if flagged(recent):
        assert flagged(recent + more)


@given(recent=counts, baseline=st.integers(min_value=0, max_value=500), more=counts)
def test_more_baseline_tickets_never_raise_a_spike(recent: int, baseline: int, more: int) -> None:
    def flagged(b: int) -> bool:
        return bool(find_spikes(recent={(A, "lift"): recent}, baseline={(A, "lift"): b},
                                test=TEST))  # fmt: skip

    if flagged(baseline + more):
        assert flagged(baseline)
