"""Benchmark: near-duplicate lookup cost against the size of the ticket history.

    python bench/near_duplicates.py                       # 10k, 100k and 1M past tickets
    python bench/near_duplicates.py --sizes 10000,100000  # a quick run
    python bench/near_duplicates.py --bands 16 --rows 4   # another S-curve

Synthetic past tickets (75 % Chinese, 25 % English) are built from templates: maybe a place
(building, unit, room, garage zone, gate), a problem in one of three phrasings, maybe a
time, zero to two sentences on what the resident tried (a phrase from each of six pools)
and maybe a remark. Ticket ``i`` is a pure function of ``(seed, i)``, so worker processes
(``--workers``) sign tickets from their ids alone, and each size grows the same history.
Its first line shows how alike random pairs of past tickets are: the number of candidates
a lookup must score grows with the history times that mean candidate probability.

Each ticket goes into ``plaint.pipeline.similarity.InMemoryIndex`` and into SQLite (a
temporary file): ``lsh(ticket_id INTEGER, key TEXT)`` with an index on ``key``, and
``sigs(ticket_id INTEGER PRIMARY KEY, sig BLOB)`` for scoring. The key index is dropped
before each bulk load and rebuilt after it (production inserts one ticket's keys at a time
into the indexed table).

For each size it runs ``--queries`` lookups, half re-worded copies of random past tickets
and half new tickets, and prints p50/p99 latency of a lookup (signature in hand → keys →
candidates → scored matches) in memory and in SQLite, candidates per query and the share
scored below the threshold, recall (the re-worded ticket's source among the candidates,
among the matches, among the matches when the pair's exact Jaccard is at least the
threshold), and, for sizes up to ``--brute-max`` on the first ``--brute-queries`` queries,
exhaustive exact Jaccard against every past ticket: its latency, and the share of its
matches that the LSH lookup returns. Above ``--brute-max`` its latency is extrapolated
linearly, not run. Peak memory (max RSS) after each size and of the workers at the end.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import resource
import sqlite3
import statistics
import struct
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from multiprocessing.pool import Pool

from plaint.cli.output import render_table
from plaint.pipeline.similarity import (
    InMemoryIndex,
    NearDuplicateConfig,
    candidate_probability,
    estimate,
    jaccard,
    shingles,
)

BACKGROUND_PAIRS = 50_000  # random pairs sampled to describe the history
CHUNK = 20_000  # tickets per worker task and per bulk insert
NEW_IDS = 1 << 40  # ids of the queries' new tickets: never indexed


def _pools(spec: str) -> tuple[tuple[str, ...], ...]:
    """Parse ``"a/b/c | d/e"`` into ``(("a", "b", "c"), ("d", "e"))``; ``-`` is the empty
    phrase and ``_`` a space (surrounding whitespace is layout)."""
    return tuple(
        tuple("" if p.strip() == "-" else p.strip().replace("_", " ") for p in group.split("/"))
        for group in spec.split("|")
    )


# One problem per group, in three phrasings.
ZH_PROBLEMS = _pools("""
    电梯坏了/电梯又出故障了/电梯停运了 | 电梯困人了/有人被困在电梯里/电梯卡住困了人 |
    停水了/一直没有水/水龙头没水 | 停电了/家里没电了/整栋楼断电 |
    卫生间漏水/卫生间天花板滴水/厕所顶上一直渗水 | 水管爆了/水管破裂到处是水/楼道水管爆裂 |
    楼道灯不亮/楼道的灯坏了/走廊灯一直不亮 | 门禁刷卡进不去/门禁坏了打不开/单元门禁失灵 |
    垃圾没人清理/垃圾桶满了没人收/垃圾堆了好几天 | 楼上装修太吵/装修电钻声音很大/装修噪音扰民 |
    外来车辆乱停/外面的车占了车位/陌生车辆随便停 | 物业费涨价没有公示/物业费突然涨了/收费不透明 |
    保安态度很差/保安说话很凶/门岗保安骂人 | 燃气味很重/闻到很重的煤气味/好像燃气泄漏了 |
    下水道堵了/下水道返水/地漏堵塞反味 | 外墙瓷砖脱落/外墙砖掉下来了/墙皮往下掉 |
    消防通道被堵/消防通道堆满杂物/消防门被锁 | 监控坏了/摄像头不工作/监控没有画面 |
    快递柜打不开/快递柜故障/快递柜取不出件 | 充电桩不能用/充电桩坏了/电动车充不了电 |
    绿化带没人修剪/树枝挡住窗户/草坪长得太高 | 蚊虫太多/蟑螂很多/老鼠到处跑 |
    狗屎没人清理/有人遛狗不牵绳/宠物粪便到处都是 | 暖气不热/暖气片是凉的/供暖温度太低 |
    水压太小/水流很小/高层水压不够 | 窗户漏风/窗户关不严/窗框渗水 |
    墙面开裂/墙上出现裂缝/天花板裂了 | 楼顶漏水/顶楼渗水/屋面防水坏了 |
    车位被占/我的车位被别人停了/车位被人占用 | 游乐设施坏了/滑梯断了/儿童设施损坏 |
    小区路灯不亮/路灯坏了/晚上路上很黑 | 单元门关不上/单元门坏了/楼下大门锁坏了 |
    信箱被撬/信报箱坏了/信箱门掉了 | 空调外机滴水/楼上空调滴水/空调水滴到阳台 |
    公共区域有人吸烟/电梯里有人抽烟/楼道烟味很大 | 高空抛物/楼上扔东西下来/有人往下扔垃圾 |
    停车费乱收/临时停车收费太贵/停车收费不合理 | 维修师傅一直不来/报修好几天没人来/报修了没人处理 |
    管家电话打不通/客服电话没人接/物业电话一直占线 | 游泳池水很脏/泳池水发绿/泳池没人清理
""")
(ZH_TIMES,) = _pools("""
    -/今天早上/昨天晚上/从昨天开始/已经三天了/这个星期/最近一直/刚才/周末/好几次了/上午十点左右/半夜
""")
# One sentence about what the resident tried: a phrase from each pool, in order.
ZH_FRAME = _pools("""
    -/我/我们家/邻居/家里老人/孩子/楼下住户/隔壁/我妈/业主们 |
    -/周一/周三/前天/上个月/昨天下午/三天前/上周末/月初/刚才/早上{n}点/{n}号那天/中午/前几天/去年 |
    打电话给/找过/问过/投诉过/反映给/发消息给/联系了/催过/当面告诉/写信给/报修给/留言给 |
    管家/前台/客服/保安队长/维修部/项目经理/物业经理/楼长/工程部/保洁主管/居委会/值班人员/{n}号管家/
    维修师傅/热线 |
    -/，没人理/，还是没解决/，说明天来/，一直推脱/，态度很敷衍/，到现在没回复/，说不归他们管/
    ，让我自己找人/，说要等配件/，说已经派单了/，说下周处理 |
    -/，孩子没法睡觉/，老人下不了楼/，家里东西都泡了/，车开不出去/，快递拿不到/，饭都做不了/
    ，衣服没法洗/，上班迟到了{n}次/，狗一直叫/，地板已经变形/，墙上发霉了/，冰箱里的菜坏了/
    ，没法洗澡/，手机都没电了
""")
(ZH_EXTRAS,) = _pools("""
    请尽快处理/太影响生活了/晚上根本睡不着/出门很不方便/这样很危险/要求给个说法/希望物业重视/
    我们是交了物业费的/再不处理就打12345/要求今天之内修好/家里有老人小孩/准备找居委会
""")
ZH_FILLERS = ("的", "又", "了", "真的", "一直", "都")
EN_PROBLEMS = _pools("""
    the lift is broken/the elevator is out of order/the lift stopped working |
    someone is trapped in the lift/the lift is stuck with people inside/trapped in lift |
    there is no water/the water is off/no water from the taps |
    the power is out/there is no electricity/a power cut |
    water is leaking from the ceiling/the bathroom ceiling drips/a leak upstairs |
    the corridor lights are out/the hallway light is broken/the stair lights are off |
    the door entry card reader is broken/my key card does not open the door/access |
    the bins have not been emptied/rubbish is piling up/the garbage smells |
    renovation noise from upstairs/drilling noise all day/loud building work |
    strange cars are parked in our spaces/someone parks in my space/illegal parking |
    the service charge went up without notice/fees rose with no explanation/fees |
    a strong smell of gas/I smell gas in the stairwell/a possible gas leak |
    the drain is blocked/the sink drain backs up/the floor drain smells |
    the security guard was rude/the guard shouted at me/rude staff at the gate |
    the heating is cold/the radiators are not warm/no heating |
    the parcel locker will not open/the parcel locker is broken/locker fault
""")
(EN_TIMES,) = _pools("-/since this morning/since yesterday/for three days/again/tonight")
EN_FRAME = _pools("""
    -/I_/we_/my neighbour_/my mother_/the kids_ |
    called_/emailed_/told_/asked_/complained to_/messaged_/reminded_ |
    the caretaker/the office/the front desk/the guard/the manager/reception/the repair team/
    the hotline/the cleaner/the agent |
    -/_on Monday/_on Friday/_yesterday/_last week/_{n} days ago/_twice/_this morning/_at {n} pm/
    _last month |
    -/, but nobody came/, and heard nothing/, but it is not fixed/, no reply/, they said tomorrow |
    -/, the kids cannot sleep/, my mother cannot go out/, the floor is ruined/, we cannot cook/
    , we cannot shower/, my car is stuck/, the dog keeps barking
""")
(EN_EXTRAS,) = _pools("""
    please fix it soon/it is dangerous/we cannot sleep/we pay our fees on time/
    please send someone today/we have small children
""")


@dataclass(frozen=True)
class Lexicon:
    """The phrases synthetic complaints of one language are made of."""

    problems: tuple[tuple[str, ...], ...]  # three phrasings each
    times: tuple[str, ...]
    frame: tuple[tuple[str, ...], ...]
    extras: tuple[str, ...]
    stop: str


ZH = Lexicon(ZH_PROBLEMS, ZH_TIMES, ZH_FRAME, ZH_EXTRAS, "。")
EN = Lexicon(EN_PROBLEMS, EN_TIMES, EN_FRAME, EN_EXTRAS, ". ")


@dataclass(frozen=True)
class Slots:
    """What a synthetic ticket says, from which its text and its re-wordings are built."""

    english: bool
    place: str
    problem: int
    phrasing: int
    when: int
    said: tuple[tuple[int, ...], ...]  # per sentence: a choice in each frame pool, a number
    extra: int  # index into the lexicon's extras, -1 for none


def _place(rng: random.Random, *, english: bool) -> str:
    if rng.random() < 0.3:
        return ""  # the address is on the resident's record
    building, unit = rng.randint(1, 80), rng.randint(1, 6)
    room = f"{rng.randint(1, 33)}{rng.randint(1, 4):02d}"
    if english:
        return rng.choice((f"block {building}: ", f"building {building} flat {room}: "))
    return rng.choice(
        (
            f"{building}号楼{unit}单元",
            f"{building}栋{room}",
            f"{building}号楼{room}室",
            f"{building}号楼",
            f"地下车库{rng.choice('ABCDEF')}区",
            f"{rng.choice('东南西北')}门",
        )
    )


def slots_of(seed: int, ticket_id: int) -> Slots:
    """Return the slots of ticket ``ticket_id``: the same for the same ``(seed, id)``."""
    rng = random.Random(seed * 1_000_003 + ticket_id)
    english = rng.random() < 0.25
    lex = EN if english else ZH
    said = tuple(
        (*(rng.randrange(len(pool)) for pool in lex.frame), rng.randint(2, 9))
        for _ in range(rng.randint(0, 2))
    )
    return Slots(
        english=english,
        place=_place(rng, english=english),
        problem=rng.randrange(len(lex.problems)),
        phrasing=rng.randrange(3),
        when=rng.randrange(len(lex.times)) if rng.random() < 0.5 else 0,
        said=said,
        extra=rng.randrange(len(lex.extras)) if rng.random() < 0.5 else -1,
    )


def text_of(slots: Slots) -> str:
    """Return the complaint a resident with these slots writes."""
    lex = EN if slots.english else ZH
    problem, when = lex.problems[slots.problem][slots.phrasing], lex.times[slots.when]
    head = f"{problem} {when}".strip() if slots.english else when + problem
    sentences = [slots.place + head]
    for *choices, n in slots.said:
        sentences.append("".join(pool[c] for pool, c in zip(lex.frame, choices, strict=True)))
        sentences[-1] = sentences[-1].format(n=n)
    if slots.extra >= 0:
        sentences.append(lex.extras[slots.extra])
    return lex.stop.join(s[:1].upper() + s[1:] for s in sentences) + lex.stop.strip()


def reworded(slots: Slots, rng: random.Random) -> str:
    """Return the same complaint said again: same place and problem; the phrasing, the
    time, what was tried and a few particles may change."""
    again = Slots(
        english=slots.english,
        place=slots.place,
        problem=slots.problem,
        phrasing=slots.phrasing if rng.random() < 0.6 else rng.randrange(3),
        when=slots.when if rng.random() < 0.5 else 0,
        said=slots.said[: rng.randint(min(1, len(slots.said)), len(slots.said))],
        extra=slots.extra if rng.random() < 0.7 else -1,
    )
    text = text_of(again)
    if slots.english:
        return text.replace("the ", "", rng.randint(0, 2)) + rng.choice(("", " Thanks.", "!!"))
    for _ in range(rng.randint(0, 2)):
        at = rng.randrange(len(text))
        text = text[:at] + rng.choice(ZH_FILLERS) + text[at:]
    return text


def sign_range(
    job: tuple[NearDuplicateConfig, int, int, int],
) -> tuple[int, list[bytes], list[list[str]]]:
    """Worker task: the packed signatures and LSH keys of tickets ``start..stop-1``."""
    config, seed, start, stop = job
    packed, keys = [], []
    for ticket_id in range(start, stop):
        sig = config.signature(text_of(slots_of(seed, ticket_id)))
        packed.append(_pack(sig))
        keys.append(config.keys(sig))
    return start, packed, keys


def _pack(sig: Sequence[int]) -> bytes:
    return struct.pack(f"<{len(sig)}I", *sig)


def _unpack(packed: bytes) -> tuple[int, ...]:
    return struct.unpack(f"<{len(packed) // 4}I", packed)


def _best_first(scored: list[tuple[int, float]], threshold: float) -> list[tuple[int, float]]:
    return sorted(((i, s) for i, s in scored if s >= threshold), key=lambda p: (-p[1], p[0]))


class SqliteIndex:
    """The LSH keys and packed signatures in a SQLite file, as a ticket store keeps them."""

    def __init__(self, path: str, config: NearDuplicateConfig) -> None:
        self.config = config
        self.db = sqlite3.connect(path)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-262144"):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.execute("CREATE TABLE lsh (ticket_id INTEGER NOT NULL, key TEXT NOT NULL)")
        self.db.execute("CREATE TABLE sigs (ticket_id INTEGER PRIMARY KEY, sig BLOB NOT NULL)")

    def load(self, first: int, packed: list[bytes], keys: list[list[str]]) -> None:
        """Bulk-insert tickets ``first, first+1, ...`` in one transaction."""
        with self.db:
            self.db.executemany("INSERT INTO sigs VALUES (?, ?)", enumerate(packed, first))
            self.db.executemany(
                "INSERT INTO lsh VALUES (?, ?)",
                ((first + i, key) for i, ticket_keys in enumerate(keys) for key in ticket_keys),
            )

    def drop_index(self) -> None:
        """Drop the index on ``lsh.key`` before a bulk load (random keys insert slowly)."""
        with self.db:
            self.db.execute("DROP INDEX IF EXISTS lsh_key")

    def create_index(self) -> None:
        """Build the index on ``lsh.key`` after a bulk load."""
        with self.db:
            self.db.execute("CREATE INDEX lsh_key ON lsh (key)")

    def query(self, signature: Sequence[int]) -> list[tuple[int, float]]:
        """Return ``(ticket_id, estimate)`` of the candidates at or above the threshold."""
        keys = self.config.keys(signature)
        rows = self.db.execute(
            "SELECT ticket_id, sig FROM sigs WHERE ticket_id IN "
            f"(SELECT ticket_id FROM lsh WHERE key IN ({','.join('?' * len(keys))}))",
            keys,
        ).fetchall()
        scored = [(ticket_id, estimate(signature, _unpack(sig))) for ticket_id, sig in rows]
        return _best_first(scored, self.config.threshold)


@dataclass(frozen=True)
class Query:
    """One lookup: a text, its signature, and the indexed ticket it re-words (if any)."""

    text: str
    signature: tuple[int, ...]
    source: int | None


@dataclass
class Bench:
    """One growing history, indexed in memory and in SQLite, and how to query it."""

    config: NearDuplicateConfig
    seed: int
    pool: Pool
    memory: InMemoryIndex
    sqlite: SqliteIndex
    size: int = 0

    def grow(self, size: int) -> dict[str, float]:
        """Sign tickets ``self.size+1..size`` in the workers and add them to both indexes."""
        jobs = [
            (self.config, self.seed, lo, min(lo + CHUNK, size + 1))
            for lo in range(self.size + 1, size + 1, CHUNK)
        ]
        began = time.perf_counter()
        self.sqlite.drop_index()
        spent = {"memory_add_s": 0.0, "sqlite_insert_s": 0.0}
        for first, packed, keys in self.pool.imap(sign_range, jobs):
            t0 = time.perf_counter()
            for ticket_id, sig in enumerate(packed, first):
                self.memory.add(ticket_id, _unpack(sig))
            t1 = time.perf_counter()
            self.sqlite.load(first, packed, keys)
            spent["memory_add_s"] += t1 - t0
            spent["sqlite_insert_s"] += time.perf_counter() - t1
        loaded = time.perf_counter()
        self.sqlite.create_index()
        self.size = size
        return {
            "load_s": loaded - began,
            "sqlite_index_s": time.perf_counter() - loaded,
            **spent,
        }

    def queries(self, count: int, rng: random.Random) -> tuple[list[Query], list[float]]:
        """Half re-worded indexed tickets, half new ones; and the time to sign each (µs)."""
        queries, signing_us = [], []
        for k in range(count):
            source = rng.randint(1, self.size) if k % 2 == 0 else None
            if source is None:
                text = text_of(slots_of(self.seed, NEW_IDS + self.size + k))
            else:
                text = reworded(slots_of(self.seed, source), rng)
            t0 = time.perf_counter()
            sig = self.config.signature(text)
            self.config.keys(sig)
            signing_us.append((time.perf_counter() - t0) * 1e6)
            queries.append(Query(text, sig, source))
        return queries, signing_us

    def source_similarity(self, query: Query) -> float:
        """The exact Jaccard of a re-worded query and the ticket it re-words."""
        assert query.source is not None
        source_text = text_of(slots_of(self.seed, query.source))
        return jaccard(shingles(query.text, n=self.config.ngram), shingles(source_text))


def _timed_ms(call: Callable[[], list[tuple[int, float]]]) -> tuple[float, list[tuple[int, float]]]:
    t0 = time.perf_counter()
    result = call()
    return (time.perf_counter() - t0) * 1000, result


def run_queries(bench: Bench, queries: list[Query]) -> dict[str, float]:
    """Time each lookup in memory and in SQLite; count candidates, recall and waste."""
    threshold = bench.config.threshold
    memory_ms, sqlite_ms, candidates = [], [], []
    n = dict.fromkeys(("planted", "in_candidates", "matched", "above", "matched_above"), 0)
    discarded = disagreements = 0
    for q in queries:
        ms, result = _timed_ms(partial(bench.memory.query, q.signature, threshold=threshold))
        memory_ms.append(ms)
        ms, sqlite_result = _timed_ms(partial(bench.sqlite.query, q.signature))
        sqlite_ms.append(ms)
        disagreements += result != sqlite_result
        cands = bench.memory.candidates(q.signature)
        matches = {i for i, _ in result}
        candidates.append(len(cands))
        discarded += len(cands) - len(matches)
        if q.source is not None:
            above = bench.source_similarity(q) >= threshold
            n["planted"] += 1
            n["in_candidates"] += q.source in cands
            n["matched"] += q.source in matches
            n["above"] += above
            n["matched_above"] += above and q.source in matches
    return {
        "memory_p50": _pct(memory_ms, 50),
        "memory_p99": _pct(memory_ms, 99),
        "sqlite_p50": _pct(sqlite_ms, 50),
        "sqlite_p99": _pct(sqlite_ms, 99),
        "candidates": statistics.mean(candidates),
        "candidate_recall": n["in_candidates"] / n["planted"],
        "match_recall": n["matched"] / n["planted"],
        "planted_above": n["above"] / n["planted"],
        "recall_above": n["matched_above"] / max(n["above"], 1),
        "discarded": discarded / max(sum(candidates), 1),
        "disagreements": disagreements,
    }


def _pct(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def _exhaustive(
    mine: frozenset[str], sets: list[frozenset[str]], threshold: float
) -> list[tuple[int, float]]:
    return [(i, s) for i, other in enumerate(sets, 1) if (s := jaccard(mine, other)) >= threshold]


def brute_force(bench: Bench, queries: list[Query]) -> dict[str, float]:
    """Exact Jaccard of each query against every indexed ticket: its latency, and the share
    of those exact matches that the LSH lookup returns."""
    config, seed = bench.config, bench.seed
    sets = [shingles(text_of(slots_of(seed, i)), n=config.ngram) for i in range(1, bench.size + 1)]
    latency_ms, exact, found = [], 0, 0
    for q in queries:
        mine = shingles(q.text, n=config.ngram)
        ms, hits = _timed_ms(partial(_exhaustive, mine, sets, config.threshold))
        latency_ms.append(ms)
        returned = {i for i, _ in bench.memory.query(q.signature, threshold=config.threshold)}
        exact += len(hits)
        found += sum(i in returned for i, _ in hits)
    return {
        "brute_p50": _pct(latency_ms, 50),
        "brute_p99": _pct(latency_ms, 99),
        "exact_recall": found / max(exact, 1),
        "exact_per_query": exact / len(queries),
    }


def background(config: NearDuplicateConfig, *, seed: int, size: int, rng: random.Random) -> str:
    """How alike random pairs of past tickets are (exact Jaccard), and how often such a pair
    becomes an LSH candidate."""
    sets = [shingles(text_of(slots_of(seed, i)), n=config.ngram) for i in range(1, size + 1)]
    sims = [jaccard(rng.choice(sets), rng.choice(sets)) for _ in range(BACKGROUND_PAIRS)]
    p = statistics.mean(
        candidate_probability(s, bands=config.bands, rows=config.rows) for s in sims
    )
    return (
        f"history: {BACKGROUND_PAIRS} random pairs of the first {size} tickets have Jaccard "
        f"p50 {_pct(sims, 50):.3f}, p99 {_pct(sims, 99):.3f}, p99.9 {_pct(sims, 99.9):.3f}; "
        f"mean P(candidate) {p:.4f}, i.e. ~{p:.2%} of the history is a candidate of a new text"
    )


def _max_rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # KiB on Linux


def measure(
    bench: Bench, size: int, args: argparse.Namespace, rng: random.Random
) -> dict[str, float]:
    """Grow the history to ``size`` tickets and measure the lookups at that size."""
    result = bench.grow(size)
    queries, signing_us = bench.queries(args.queries, rng)
    result.update(run_queries(bench, queries))
    result["signing_us"] = statistics.median(signing_us)
    if size <= args.brute_max:
        result.update(brute_force(bench, queries[: args.brute_queries]))
    result["rss_mb"] = _max_rss_mb(resource.RUSAGE_SELF)
    return result


def _brute_cell(size: int, r: dict[str, float], measured: tuple[int, float] | None) -> str:
    if "brute_p50" in r:
        return f"{r['brute_p50']:.1f} / {r['brute_p99']:.1f}"
    if measured is None:
        return "not run"
    base_size, base_p50 = measured
    return f"~{base_p50 * size / base_size:,.0f} p50 (not run: linear extrapolation)"


def render(sizes: list[int], results: list[dict[str, float]]) -> str:
    """The two tables of the report, latency and quality, one row per size."""
    measured = next(
        ((s, r["brute_p50"]) for s, r in zip(sizes, results, strict=True) if "brute_p50" in r), None
    )
    latency, quality = [], []
    for size, r in zip(sizes, results, strict=True):
        latency.append(
            [
                f"{size:,}",
                f"{r['memory_p50']:.2f} / {r['memory_p99']:.2f}",
                f"{r['sqlite_p50']:.2f} / {r['sqlite_p99']:.2f}",
                _brute_cell(size, r, measured),
                f"{r['load_s']:.0f} + {r['sqlite_index_s']:.0f}",
                f"{r['rss_mb']:,.0f}",
            ]
        )
        quality.append(
            [
                f"{size:,}",
                f"{r['candidates']:,.1f}",
                f"{r['discarded']:.1%}",
                f"{r['candidate_recall']:.3f}",
                f"{r['match_recall']:.3f}",
                f"{r['recall_above']:.3f}",
                f"{r['exact_recall']:.3f}" if "exact_recall" in r else "-",
                str(int(r["disagreements"])),
            ]
        )
    heads_latency = [
        "tickets",
        "in-memory p50/p99 ms",
        "SQLite p50/p99 ms",
        "brute force p50/p99 ms",
        "load + index s",
        "max RSS MB",
    ]
    heads_quality = [
        "tickets",
        "candidates/query",
        "discarded",
        "source in candidates",
        "source matched",
        "matched if J>=t",
        "vs exact search",
        "mem≠SQLite",
    ]
    return render_table(heads_latency, latency) + "\n\n" + render_table(heads_quality, quality)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--brute-max", type=int, default=10_000, help="largest size brute-forced")
    parser.add_argument("--brute-queries", type=int, default=200, help="of the queries")
    parser.add_argument("--bands", type=int, default=NearDuplicateConfig().bands)
    parser.add_argument("--rows", type=int, default=NearDuplicateConfig().rows)
    parser.add_argument("--threshold", type=float, default=NearDuplicateConfig().threshold)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    config = NearDuplicateConfig(threshold=args.threshold, bands=args.bands, rows=args.rows)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    rng = random.Random(args.seed)
    print(
        f"{config}; {args.queries} queries per size, half re-worded past tickets; "
        f"brute force on {args.brute_queries} of them up to {args.brute_max:,} tickets"
    )
    print(background(config, seed=args.seed, size=min(sizes[0], 10_000), rng=rng), flush=True)
    began, results = time.perf_counter(), []
    with (
        tempfile.TemporaryDirectory() as tmp,
        multiprocessing.get_context("spawn").Pool(args.workers) as pool,
    ):
        memory = InMemoryIndex(bands=config.bands, rows=config.rows)
        bench = Bench(
            config, args.seed, pool, memory, SqliteIndex(os.path.join(tmp, "lsh.db"), config)
        )
        for size in sizes:
            r = measure(bench, size, args, rng)
            results.append(r)
            print(
                f"  {size:,}: loaded in {r['load_s']:.0f} s with {args.workers} signing workers "
                f"(main: in-memory add {r['memory_add_s']:.0f} s, SQLite insert "
                f"{r['sqlite_insert_s']:.0f} s), SQLite key index {r['sqlite_index_s']:.0f} s; "
                f"signing one query text {r['signing_us']:.0f} µs",
                flush=True,
            )
        bench.sqlite.db.close()
    print("\n" + render(sizes, results))
    children = _max_rss_mb(resource.RUSAGE_CHILDREN)
    print(
        f"\nlargest worker's max RSS {children:,.0f} MB; total {time.perf_counter() - began:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
