"""Redis restarted (``kill -9``, then the same server again on its append-only file)
mid-load, and later Redis emptied (FLUSHALL: every queued triage message, lock and clock
lease gone): the inbox is the record, so the reconciler re-enqueues what was lost (at once
on its next run, since it sees Redis's data gone) and nothing is lost or done twice."""

from __future__ import annotations

import pytest
import redis

from tests.chaos.harness import Figures, Load, Rig, Tree, verify
from tests.servers import RedisServer

ROUNDS = 10
RESTART_AT, FLUSH_AT = 3, 7


@pytest.mark.slow
def test_redis_restarted_then_emptied_mid_load(rig: Rig, chaos_redis: RedisServer) -> None:
    figures = Figures("redis")
    with Tree(rig) as tree:
        load = Load(rig)

        def strike(n: int) -> None:
            if n == RESTART_AT:
                chaos_redis.kill()
                chaos_redis.start()
            if n == FLUSH_AT:
                client = redis.Redis.from_url(chaos_redis.url)
                client.flushall()
                client.close()

        load.feed(tree, ROUNDS, pace=0.8, during=strike)
        # The reconciler runs every minute: what was lost with the flush waits for it.
        settled = tree.settle(load, seconds=180)
        counts = verify(tree, load)
    figures.report(**counts, redis_restarts=1, redis_flushes=1, settle_seconds=round(settled, 1))
