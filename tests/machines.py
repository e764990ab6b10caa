"""Worker "machines" on one host: each a ``plaint worker`` process tree in a session and
process group of its own, with its own working, temporary and data directories, sharing
only the database and Redis URLs, as workers on separate hosts would. Used by
``tests/workers/test_two_machines.py`` and ``bench/two_machines.py``."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import redis

__all__ = ["Machine", "probe_until", "start_machine", "stop_machine", "wait_for_consumers"]

REPO = Path(__file__).resolve().parents[1]
STOP_SECONDS = 30.0
PROBE_SECONDS = 0.05


@dataclass(frozen=True)
class Machine:
    """A running worker process tree; ``log`` holds its stdout and stderr."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid


def start_machine(
    name: str,
    *,
    workdir: Path,
    environ: Mapping[str, str],
    processes: int,
    threads: int,
    queues: Sequence[str] = ("triage",),
) -> Machine:
    """Start ``plaint worker`` as machine ``name`` under ``workdir / name``, with
    ``environ`` (``PLAINT_DATABASE_URL``, ``PLAINT_REDIS_URL``...) plus its own ``TMPDIR``
    and ``PLAINT_DATA_DIR``."""
    home = workdir / name
    (home / "tmp").mkdir(parents=True, exist_ok=True)
    env = {**environ, "PYTHONPATH": str(REPO), "TMPDIR": str(home / "tmp"),
           "PLAINT_DATA_DIR": str(home / "data")}  # fmt: skip
    argv = [sys.executable, "-m", "plaint", "worker", "--processes", str(processes),
            "--threads", str(threads), "--queues", *queues]  # fmt: skip
    log = home / "worker.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv, cwd=home, env=env, stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    return Machine(name, process, log)


def stop_machine(machine: Machine) -> None:
    """SIGTERM the machine's whole process group (dramatiq requeues what it prefetched);
    SIGKILL it if it has not exited within STOP_SECONDS."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(machine.pid, signal.SIGTERM)
    try:
        machine.process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(machine.pid, signal.SIGKILL)
        machine.process.wait()
    with contextlib.suppress(ProcessLookupError):  # a straggler of the group
        os.killpg(machine.pid, signal.SIGKILL)


def probe_until(predicate: Callable[[], bool], *, what: str, machines: Sequence[Machine],
                timeout: float) -> None:  # fmt: skip
    """Call ``predicate`` every PROBE_SECONDS until it is true; fail with the log of a
    machine that exits meanwhile, or when ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while not predicate():
        for machine in machines:
            if machine.process.poll() is not None:
                log = machine.log.read_text("utf-8", "replace")[-4000:]
                raise AssertionError(f"machine {machine.name} exited:\n{log}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(PROBE_SECONDS)


def wait_for_consumers(redis_url: str, count: int, *, machines: Sequence[Machine],
                       timeout: float = 60.0) -> None:  # fmt: skip
    """Probe until ``count`` dramatiq worker processes have announced themselves in Redis
    (the heartbeat set each process's fetches refresh)."""
    client = redis.Redis.from_url(redis_url)
    try:
        probe_until(lambda: int(client.zcard("dramatiq:__heartbeats__")) >= count,
                    what=f"{count} consumers", machines=machines, timeout=timeout)  # fmt: skip
    finally:
        client.close()
