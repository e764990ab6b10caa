"""Benchmark: the packaged zero-training rules on labelled property-management complaints.

    python bench/rules_accuracy.py                       # bench/data/property_complaints.jsonl
    python bench/rules_accuracy.py --data other.jsonl --json

Each JSONL row holds ``text`` and the gold codes ``department``, ``category``, ``scope``,
``level``, ``urgency``, ``validity``, ``sub_topic`` and ``lang`` (``zh``/``en``). The report
gives accuracy per field and the exact-match rate (all seven fields right) on all rows, on
the first and the second half of the file (the rules were tuned on the first half only; the
second half is the held-out check), and per language; the sub-topic confusions seen most
often; and throughput: texts classified per second on one core (the median of ``--runs``
timed passes) against ``str.casefold()`` over the same texts, measured in the same run.

Labelling conventions of the shipped set (bench/data/property_complaints.jsonl): codes
follow shared TAXONOMY.md; ``sub_topic`` is what the complaint is about and
``department``/``scope`` who must act, so a district-wide outage caused by the power company
is ``power`` for ``external``, scope 3. Emergencies are dangers happening now; a past
incident or a hazard that harms no one yet is ``normal``. Level 2 marks a repeat, a
complaint about earlier handling, a report on behalf of several residents, or harm done.
Invalid rows use sub_topic ``other``, department ``customer_service``, category ``service``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from plaint.config import load_config
from plaint.pipeline.classify import Classification, Taxonomy, classify

DEFAULT_DATA = Path(__file__).resolve().parent / "data" / "property_complaints.jsonl"
FIELDS = ("department", "category", "scope", "level", "urgency", "validity", "sub_topic")
MIN_RUN_SECONDS = 0.2  # each timed pass repeats the texts until at least this long
TOP_CONFUSIONS = 12


def load_rows(path: Path) -> list[dict[str, Any]]:
    """Return the JSONL rows of ``path``; raises ``ValueError`` naming a bad line."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: not JSON") from exc
        missing = {"text", "lang", *FIELDS} - row.keys()
        if missing:
            raise ValueError(f"{path}:{number}: missing {sorted(missing)}")
        rows.append(row)
    return rows


def accuracy(
    rows: Sequence[dict[str, Any]], predicted: Sequence[Classification]
) -> dict[str, float]:
    """Share of rows right per field, plus ``exact`` (every field right); 0.0 when empty."""
    if not rows:
        return {**dict.fromkeys(FIELDS, 0.0), "exact": 0.0, "rows": 0}
    right = Counter[str]()
    for row, result in zip(rows, predicted, strict=True):
        hits = [field for field in FIELDS if getattr(result, field) == row[field]]
        right.update(hits)
        right["exact"] += len(hits) == len(FIELDS)
    scores: dict[str, float] = {key: round(right[key] / len(rows), 3) for key in (*FIELDS, "exact")}
    scores["rows"] = len(rows)
    return scores


def confusions(
    rows: Sequence[dict[str, Any]], predicted: Sequence[Classification]
) -> list[tuple[str, str, int]]:
    """The (gold, predicted, count) sub-topic errors, most frequent first."""
    pairs = Counter(
        (row["sub_topic"], result.sub_topic)
        for row, result in zip(rows, predicted, strict=True)
        if row["sub_topic"] != result.sub_topic
    )
    return [(gold, guess, n) for (gold, guess), n in pairs.most_common(TOP_CONFUSIONS)]


def texts_per_second(work: Callable[[str], object], texts: Sequence[str], runs: int) -> float:
    """Median over ``runs`` passes of texts handled per second by ``work``, one thread."""
    rates = []
    for _ in range(runs):
        done = 0
        start = time.perf_counter()
        while (elapsed := time.perf_counter() - start) < MIN_RUN_SECONDS:
            for text in texts:
                work(text)
            done += len(texts)
        rates.append(done / elapsed)
    return statistics.median(rates)


def report(rows: list[dict[str, Any]], taxonomy: Taxonomy, runs: int) -> dict[str, Any]:
    """Everything the benchmark prints, as plain values."""
    predicted = [classify(row["text"], taxonomy=taxonomy) for row in rows]
    half = (len(rows) + 1) // 2
    subsets = {
        "all": range(len(rows)),
        "first_half": range(half),
        "second_half": range(half, len(rows)),
        **{
            lang: [i for i, row in enumerate(rows) if row["lang"] == lang]
            for lang in sorted({row["lang"] for row in rows})
        },
    }
    texts = [row["text"] for row in rows]
    rules_rate = texts_per_second(lambda t: classify(t, taxonomy=taxonomy), texts, runs)
    baseline_rate = texts_per_second(str.casefold, texts, runs)
    return {
        "rows": len(rows),
        "accuracy": {
            name: accuracy([rows[i] for i in idx], [predicted[i] for i in idx])
            for name, idx in subsets.items()
        },
        "sub_topic_confusions": confusions(rows, predicted),
        "throughput": {
            "classify_texts_per_s": round(rules_rate),
            "casefold_texts_per_s": round(baseline_rate),
            "casefold_over_classify": round(baseline_rate / rules_rate, 1),
            "runs": runs,
        },
    }


def render(result: dict[str, Any], data: Path) -> str:
    """The report as an aligned text table."""
    names = list(result["accuracy"])
    lines = [
        f"rules on {data} ({result['rows']} rows; first half tunes, second half is held out)",
        f"{'field':<11}" + "".join(f"{n:>12}" for n in names),
    ]
    for field in (*FIELDS, "exact", "rows"):
        cells = "".join(f"{result['accuracy'][n][field]:>12}" for n in names)
        lines.append(f"{field:<11}{cells}")
    lines.append("sub_topic confusions (gold -> predicted: count):")
    lines.extend(f"  {g} -> {p}: {n}" for g, p, n in result["sub_topic_confusions"])
    speed = result["throughput"]
    lines.append(
        f"throughput (median of {speed['runs']}, one core): classify "
        f"{speed['classify_texts_per_s']} texts/s; str.casefold {speed['casefold_texts_per_s']} "
        f"texts/s ({speed['casefold_over_classify']}x)"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="labelled JSONL file")
    parser.add_argument("--runs", type=int, default=5, help="timed passes (median reported)")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    args = parser.parse_args(argv)
    rows = load_rows(args.data)
    result = report(rows, load_config(None).taxonomy, max(args.runs, 1))
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(render(result, args.data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
