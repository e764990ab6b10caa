"""``kill -9`` of the poller, a triage worker, the dispatcher and the clock at random
points of a mixed load, repeatedly: nothing lost, nothing twice."""

from __future__ import annotations

import pytest

from tests.chaos.harness import Figures, Load, Rig, Tree, seeded, verify

SEED = 14
ROUNDS = 12


@pytest.mark.slow
def test_kill_9_at_random_points(rig: Rig) -> None:
    figures = Figures("kill-9")
    chance = seeded(SEED)
    with Tree(rig) as tree:
        load = Load(rig)

        def strike(_round: int) -> None:
            if chance.random() < 0.6:
                tree.kill(chance.choice(["intake", "worker", "dispatcher", "clock"]))

        load.feed(tree, ROUNDS, pace=0.8, during=strike)
        settled = tree.settle(load)
        counts = verify(tree, load)
    figures.report(**counts, kills=dict(tree.kills), settle_seconds=round(settled, 1))
