"""Benchmark: plaint's text model against TF-IDF + LogisticRegression, trained in the same
run on the same seeded split of each labelled set in ../shared/eval/complaints.

    python bench/classifier.py                     # every set, all visible rows
    python bench/classifier.py --max-rows 500      # a quick run
    python bench/classifier.py --json --sets cfpb,tipdm

Sets, their text and their label (see that folder's README):

    tipdm   Chinese citizen messages, text -> category[0] (7 classes); the rows whose
            message id has conflicting labels are dropped
    boston  Boston 311, CASE_TITLE -> department (SUBJECT)
    nyc     NYC 311 has no free text: "Complaint Type / Descriptor" -> department (agency)
    cfpb    consumer narrative -> category[0] (product)

Split: per label, rows shuffled with --seed and 20% (rounded) held for testing; a label with
one row stays in training. Baseline: ``TfidfVectorizer()`` + ``LogisticRegression()`` with
default settings; for Chinese the vectoriser reads character 1-2-grams (the default word
tokeniser needs spaces, which Chinese lacks). Each set runs in a fresh process, so "peak
MiB" is that set's own max RSS (interpreter and libraries included). "pred/s/core" is
plaint's predictions per second on the test texts with native thread pools held to one.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

DEFAULT_ROOT = Path(__file__).resolve().parents[1] / ".." / "shared" / "eval" / "complaints"
TEST_SHARE = 0.2
MIN_TIMING_SECONDS = 1.0  # predict repeatedly until at least this long has passed


def _category0(row: dict[str, Any]) -> str | None:
    category = row.get("category") or []
    return category[0] if category else None


def _tipdm_keep(row: dict[str, Any]) -> bool:
    return not (row.get("extra") or {}).get("duplicate_id_conflicting_label")


def _nyc_text(row: dict[str, Any]) -> str | None:
    category = row.get("category") or []
    return " / ".join(category) if category else None


@dataclass(frozen=True)
class DataSet:
    name: str
    path: str
    text: Callable[[dict[str, Any]], str | None]
    label: Callable[[dict[str, Any]], str | None]
    keep: Callable[[dict[str, Any]], bool]
    chinese: bool = False


SETS = {
    "tipdm": DataSet(
        "tipdm",
        "tipdm2020c_cn_gov_messages/labeled.jsonl",
        text=lambda r: r.get("text"),
        label=_category0,
        keep=_tipdm_keep,
        chinese=True,
    ),
    "boston": DataSet(
        "boston",
        "boston311/boston311.jsonl",
        text=lambda r: r.get("text"),
        label=lambda r: r.get("department"),
        keep=lambda r: True,
    ),
    "nyc": DataSet(
        "nyc",
        "nyc311/nyc311.jsonl",
        text=_nyc_text,
        label=lambda r: r.get("department"),
        keep=lambda r: True,
    ),
    "cfpb": DataSet(
        "cfpb",
        "cfpb/cfpb.jsonl",
        text=lambda r: r.get("text"),
        label=_category0,
        keep=lambda r: True,
    ),
}


@dataclass(frozen=True)
class Result:
    set: str
    n_train: int
    n_test: int
    labels: int
    baseline: str
    baseline_macro_f1: float
    baseline_accuracy: float
    baseline_train_s: float
    plaint_macro_f1: float
    plaint_accuracy: float
    plaint_profile: str
    plaint_train_s: float
    plaint_pred_per_s_core: float
    peak_mib: float


def load(root: Path, spec: DataSet, max_rows: int | None) -> list[tuple[str, str]]:
    """Return (text, label) pairs of the set, in file order, at most ``max_rows``."""
    rows = []
    with (root / spec.path).open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            text, label = spec.text(row), spec.label(row)
            if spec.keep(row) and text and label:
                rows.append((text, label))
            if max_rows is not None and len(rows) >= max_rows:
                break
    return rows


def split(
    rows: list[tuple[str, str]], *, seed: int
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Stratified: hold round(20%) of each label's rows, shuffled by ``seed``, for testing."""
    by_label: dict[str, list[int]] = {}
    for i, (_, label) in enumerate(rows):
        by_label.setdefault(label, []).append(i)
    rng = random.Random(seed)
    test: set[int] = set()
    for label in sorted(by_label):
        indices = by_label[label]
        rng.shuffle(indices)
        test.update(indices[: round(len(indices) * TEST_SHARE)])
    train = [rows[i] for i in range(len(rows)) if i not in test]
    return train, [rows[i] for i in sorted(test)]


def run_set(root: Path, name: str, max_rows: int | None, seed: int) -> Result:
    """Train and score both models on one set (runs in its own process)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from threadpoolctl import threadpool_limits

    from plaint.classifier.evaluate import evaluate
    from plaint.classifier.textmodel import fit

    spec = SETS[name]
    train, test = split(load(root, spec, max_rows), seed=seed)
    x_train, y_train = [t for t, _ in train], [y for _, y in train]
    x_test, y_test = [t for t, _ in test], [y for _, y in test]

    vectoriser = TfidfVectorizer(analyzer="char", ngram_range=(1, 2)) if spec.chinese else None
    baseline = make_pipeline(vectoriser or TfidfVectorizer(), LogisticRegression())
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # default settings, as they are
        baseline.fit(x_train, y_train)
    baseline_s = time.perf_counter() - started
    base = evaluate(y_test, [str(y) for y in baseline.predict(x_test)])

    started = time.perf_counter()
    model = fit(x_train, y_train, seed=seed)
    plaint_s = time.perf_counter() - started
    ours = evaluate(y_test, [p.label for p in model.predict(x_test)])

    with threadpool_limits(limits=1):
        rounds, started = 0, time.perf_counter()
        while rounds == 0 or time.perf_counter() - started < MIN_TIMING_SECONDS:
            model.predict(x_test)
            rounds += 1
        per_second = rounds * len(x_test) / (time.perf_counter() - started)

    return Result(
        set=name,
        n_train=len(train),
        n_test=len(test),
        labels=len(set(y_train)),
        baseline="tfidf-char1-2+lr" if spec.chinese else "tfidf+lr",
        baseline_macro_f1=round(base.macro_f1, 4),
        baseline_accuracy=round(base.accuracy, 4),
        baseline_train_s=round(baseline_s, 2),
        plaint_macro_f1=round(ours.macro_f1, 4),
        plaint_accuracy=round(ours.accuracy, 4),
        plaint_profile=model.info.profile,
        plaint_train_s=round(plaint_s, 2),
        plaint_pred_per_s_core=round(per_second),
        peak_mib=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    )


def table(results: list[Result]) -> str:
    from plaint.cli.output import render_table

    headers = (
        "set",
        "n_train",
        "n_test",
        "base F1",
        "base acc",
        "plaint F1",
        "plaint acc",
        "train s",
        "pred/s/core",
        "peak MiB",
    )
    rows = [
        (
            r.set,
            str(r.n_train),
            str(r.n_test),
            f"{r.baseline_macro_f1:.4f}",
            f"{r.baseline_accuracy:.4f}",
            f"{r.plaint_macro_f1:.4f}",
            f"{r.plaint_accuracy:.4f}",
            f"{r.plaint_train_s:.1f}",
            f"{r.plaint_pred_per_s_core:.0f}",
            f"{r.peak_mib:.0f}",
        )
        for r in results
    ]
    return render_table(headers, rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-root", type=Path, default=DEFAULT_ROOT)
    parser.add_argument("--max-rows", type=int, default=None, help="per set (default: all)")
    parser.add_argument("--sets", default=",".join(SETS), help="default: %(default)s")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object per set")
    args = parser.parse_args(argv)
    names = [n for n in args.sets.split(",") if n]
    unknown = [n for n in names if n not in SETS]
    if unknown:
        parser.error(f"unknown sets {unknown}; known: {', '.join(SETS)}")
    results = []
    for name in names:
        if not (args.data_root / SETS[name].path).is_file():
            print(
                f"skipping {name}: {args.data_root / SETS[name].path} is missing", file=sys.stderr
            )
            continue
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
            result = pool.submit(run_set, args.data_root, name, args.max_rows, args.seed).result()
        results.append(result)
        if args.json:
            print(json.dumps(asdict(result)), flush=True)
    if not args.json:
        print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
