"""The process tree: embedded Redis survives kill -9 with its queue, the supervisor
restarts what dies, and one clock leads at a time."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis

from plaint.pipeline.schedule import Schedule
from plaint.workers.clock import run_clock
from plaint.workers.embedded_redis import EmbeddedRedis
from plaint.workers.supervisor import ChildSpec, Supervisor, restart_delay

PROBE_SECONDS = 0.02
DEADLINE_SECONDS = 30.0


def wait_for(predicate, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(PROBE_SECONDS)
    raise AssertionError(f"timed out waiting for {what}")


def test_embedded_redis_keeps_queued_messages_across_kill_9(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path / "redis")
    server.start()
    client = redis.Redis.from_url(server.url)
    client.rpush("queue", *[f"message-{n}" for n in range(100)])
    assert server._process is not None
    server._process.kill()  # kill -9: no chance to save
    server._process.wait()
    client.close()
    server.start()
    client = redis.Redis.from_url(server.url)
    assert client.llen("queue") == 100
    client.close()
    server.stop()


def test_embedded_redis_uses_a_short_socket_path_for_deep_directories(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    with EmbeddedRedis(deep) as server:
        assert len(str(server.socket)) <= 100
        assert redis.Redis.from_url(server.url).ping()


@pytest.mark.parametrize(
    ("failures", "seconds"), [(0, 0), (1, 0), (2, 1), (3, 2), (4, 4), (6, 16), (7, 30), (50, 30)]
)
def test_restart_backoff_grows_and_is_capped(failures: int, seconds: int) -> None:
    assert restart_delay(failures) == timedelta(seconds=seconds)


def test_the_supervisor_restarts_a_child_killed_with_9() -> None:
    sleeper = [sys.executable, "-c", "import time; time.sleep(600)"]
    supervisor = Supervisor([ChildSpec("sleeper", sleeper, dict(os.environ))])
    thread = threading.Thread(target=supervisor.run)
    thread.start()
    try:
        wait_for(lambda: supervisor.pid("sleeper") is not None, "the first start")
        first = supervisor.pid("sleeper")
        assert first is not None
        os.kill(first, signal.SIGKILL)
        wait_for(lambda: supervisor.pid("sleeper") not in (None, first), "the restart")
        assert supervisor.restarts("sleeper") == 1
    finally:
        supervisor.stop()
        thread.join()
    assert supervisor.pid("sleeper") is None


@pytest.mark.parametrize(
    ("now", "due"),
    [
        (0.0, ["poll", "reconcile"]),
        (0.5, []),
        (1.0, ["poll"]),
        (2.0, ["poll"]),
        (60.0, ["poll", "reconcile"]),
    ],
)
def test_schedule_runs_each_job_on_its_interval(now: float, due: list[str]) -> None:
    schedule = Schedule({"poll": timedelta(seconds=1), "reconcile": timedelta(seconds=60)})
    times = sorted({0.0, now})
    seen: list[str] = []
    for t in times:
        seen = schedule.due(t)
    assert seen == due


def test_only_one_clock_enqueues_at_a_time(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    counts = {"a": 0, "b": 0}
    stops = {"a": threading.Event(), "b": threading.Event()}

    def clock(name: str) -> threading.Thread:
        def job() -> None:
            counts[name] += 1

        schedule = Schedule({"tick": timedelta(milliseconds=1)})
        return threading.Thread(
            target=run_clock,
            kwargs={"client": client, "schedule": schedule, "jobs": {"tick": job},
                    "stop": stops[name]},
        )  # fmt: skip

    first = clock("a")
    first.start()
    wait_for(lambda: counts["a"] > 0, "clock a to lead")
    second = clock("b")
    second.start()
    wait_for(lambda: counts["a"] > 2, "clock a to tick on")
    assert counts["b"] == 0
    stops["a"].set()  # the leader stops and releases the lock: b takes over
    first.join()
    wait_for(lambda: counts["b"] > 0, "clock b to take over")
    stops["b"].set()
    second.join()
    client.close()
