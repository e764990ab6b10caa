"""CPU seconds and resident memory of process trees from /proc, for the benches: where the time
of a run goes (workers, PostgreSQL, Redis, the bench, everything else on the machine)."""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["CpuMeter", "process_rss", "tree_cpu", "tree_rss"]

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of the process and its waited-for children)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    ppid, ticks = int(fields[1]), sum(int(f) for f in fields[11:15])  # utime..cstime
    return ppid, ticks / CLK_TCK


def _tree(root: int) -> dict[int, float]:
    """CPU seconds of ``root`` and of every live descendant, by pid."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (s := _stat(int(entry.name))) is not None:
            stats[int(entry.name)] = s
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = {}, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            found[pid] = stats[pid][1]
            todo.extend(children.get(pid, []))
    return found


def tree_cpu(root: int) -> float:
    """CPU seconds of ``root`` and every live descendant (each with its dead children)."""
    return sum(_tree(root).values())


def tree_rss(root: int, *, field: str = "VmRSS") -> int:
    """Bytes of ``field`` (``VmRSS``: resident now; ``VmHWM``: the peak resident size of
    each process's life) of ``root`` and every live descendant, summed."""
    return sum(process_rss(root, field=field).values())


def process_rss(root: int, *, field: str = "VmRSS") -> dict[int, int]:
    """Bytes of ``field`` of ``root`` and of every live descendant, by pid."""
    found = {}
    for pid in _tree(root):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(f"{field}:"):
                    found[pid] = int(line.split()[1]) * 1024  # kB
    return found


def machine_cpu() -> float:
    """CPU seconds all cores of the machine spent busy since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / CLK_TCK


@dataclass
class CpuMeter:
    """CPU seconds of the workers, PostgreSQL, Redis, this process and the rest."""

    roots: dict[str, int]
    start: dict[str, float] = field(default_factory=dict)
    used: dict[str, float] = field(default_factory=dict)

    def _sample(self) -> dict[str, float]:
        sample = {name: tree_cpu(pid) for name, pid in self.roots.items()}
        sample["bench"] = time.process_time()
        sample["machine"] = machine_cpu()
        return sample

    def __enter__(self) -> CpuMeter:
        self.start = self._sample()
        return self

    def __exit__(self, *_: object) -> None:
        end = self._sample()
        self.used = {k: end[k] - self.start[k] for k in end}
        ours = sum(v for k, v in self.used.items() if k != "machine")
        self.used["others"] = max(0.0, self.used.pop("machine") - ours)
