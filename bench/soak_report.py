"""The lines ``bench/soak.py`` prints: one per minute, and the summary at the end (the
accounting, the leak and drift checks, the same-run baseline)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple
from datetime import datetime, timedelta

from bench.soak_probe import Probe, Sample, percentile
from plaint.queue.broker import QUEUES
from tests.chaos.accounting import Tally
from tests.chaos.harness import Load, Tree

MIB = 1024 * 1024


def _n(value: float | None, spec: str = "d") -> str:
    return "-" if value is None else format(value, spec)


def _mib(value: int | None) -> str:
    return "-" if value is None else f"{value / MIB:.0f}M"


def header() -> str:
    return (
        "  min offered tickets  msgs  sent | backlog in/tr/mt/ob inbox unsent | "
        "ticket p50 p95  ack p95 s | rss sum max | redis  db | quar fail dead"
    )


def line(s: Sample) -> str:
    """The minute's figures; ``-`` where a server could not be read."""
    c: tuple[int | None, ...] = (None,) * 7 if s.counts is None else astuple(s.counts)
    tickets, messages, sent, pending, unsent, quarantined, failed = c
    q = s.queues
    queues = "-" if q is None else "/".join(str(q.get(n, 0)) for n in QUEUES)
    tl, al = s.ticket_latency or [], s.ack_latency or []
    rss = list(s.rss.values())
    return (
        f"{s.elapsed / 60:5.1f} {s.offered:7d} {_n(tickets):>7} {_n(messages):>5} {_n(sent):>5}"
        f" | {queues:>15} {_n(pending):>5} {_n(unsent):>6} |"
        f" {_n(percentile(tl, 0.5), '.1f'):>10} {_n(percentile(tl, 0.95), '.1f'):>4}"
        f" {_n(percentile(al, 0.95), '.1f'):>8}   | {_mib(sum(rss)):>7}"
        f" {_mib(max(rss, default=None)):>4} | {_mib(s.redis_bytes):>5} {_mib(s.db_bytes):>4} |"
        f" {_n(quarantined):>4} {_n(failed):>4} {_n(s.dead):>4}"
    )  # fmt: skip


def _window(probe: Probe, since: datetime, until: datetime) -> str:
    ticket, ack = probe.ticket_latency(since, until), probe.ack_latency(since, until)
    minutes = (until - since).total_seconds() / 60
    return (f"{probe.processed(since, until) / minutes:6.1f} items/min triaged, ticket p50 "
            f"{_n(percentile(ticket, 0.5), '.2f')} s p95 {_n(percentile(ticket, 0.95), '.2f')}"
            f" s, ack p95 {_n(percentile(ack, 0.95), '.2f')} s")  # fmt: skip


def _rss_growth(samples: Sequence[Sample]) -> str:
    k = max(1, len(samples) // 4)
    first = [sum(s.rss.values()) for s in samples[:k]]
    last = [sum(s.rss.values()) for s in samples[-k:]]
    a, b = sum(first) / len(first), sum(last) / len(last)
    peak = max((max(s.rss.values(), default=0) for s in samples), default=0)
    return (f"RSS (sum of plaint's processes) first quarter {a / MIB:.0f} MiB -> last quarter "
            f"{b / MIB:.0f} MiB ({(b / a - 1) * 100 if a else 0:+.1f} %); largest process "
            f"{peak / MIB:.0f} MiB; Redis {_mib(samples[0].redis_bytes)} -> "
            f"{_mib(samples[-1].redis_bytes)}; database {_mib(samples[0].db_bytes)} -> "
            f"{_mib(samples[-1].db_bytes)}")  # fmt: skip


def _accounting(tally: Tally) -> list[str]:
    verdict = "yes" if tally.clean else "NO: " + "; ".join(tally.problems())
    lost, dup = sum(tally.lost.values()), sum(tally.duplicated.values())
    return [f"exactly once: {verdict}",
            f"lost {lost}, duplicated {dup} (of which SLA marks repeated "
            f"{tally.duplicated['sla_marks']}); {tally.figures}"]  # fmt: skip


def summary(
    probe: Probe, samples: Sequence[Sample], tally: Tally, *, start: datetime, seconds: float,
    baseline: float, settled: float | None, faults: Sequence[tuple[float, str]], tree: Tree,
    load: Load,
) -> str:  # fmt: skip
    """The end-of-run report; ``seconds`` of load from ``start``."""
    end, quarter, base = start + timedelta(seconds=seconds), seconds / 4, min(baseline, seconds / 3)
    restarts = {name: tree.supervisor.restarts(name) for name in Tree.NAMES}
    lines = [
        "", "== soak summary",
        f"offered {load.items} items ({load.sent_replies} replies) from {load.residents} "
        f"residents; " + ("NOT settled after the load" if settled is None else
                          f"settled {settled:.1f} s after the load"),
        f"faults: {len(faults)} ({', '.join(f for _, f in faults) or 'none'}); kills "
        f"{dict(tree.kills)}; restarts {restarts}",
        *_accounting(tally),
        _rss_growth(samples) if samples else "no samples",
        f"latency first quarter: {_window(probe, start, start + timedelta(seconds=quarter))}",
        f"latency last quarter:  {_window(probe, end - timedelta(seconds=quarter), end)}",
        f"baseline first {base / 60:.1f} min: "
        f"{_window(probe, start, start + timedelta(seconds=base))}",
        f"         last {base / 60:.1f} min:  {_window(probe, end - timedelta(seconds=base), end)}",
    ]  # fmt: skip
    return "\n".join(lines)
