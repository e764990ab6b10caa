"""Benchmark: texts classified per second on one core, rules alone and rules + a model.

    python bench/classify_speed.py                 # the written examples
    python bench/classify_speed.py --real          # also our labelled TipDM rows (long)
    python bench/classify_speed.py --seconds 0.5   # a quick run

The model is trained here on the written examples (bench/data/property_complaints.jsonl,
label ``department``), as a company's own model would be, and asked in batches of 512
through :func:`plaint.service.classification.classify_texts`, the path triage and ``plaint
classify --batch`` take. Native thread pools are held to one thread, and the time counted
is this process's CPU time (``time.process_time``), so the figure is per core even on a
machine other work shares. Each figure is the median of three timed passes, each repeating
the texts until ``--seconds`` of CPU time have gone by. The floor for triage is 2,000
texts/s per core with the model.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
BATCH = 512
PASSES = 3


def rate(work: Callable[[Sequence[str]], object], texts: Sequence[str], seconds: float) -> float:
    """Median over the passes of texts per CPU second that ``work`` handles in batches."""
    rates = []
    for _ in range(PASSES):
        done, started = 0, time.process_time()
        while (elapsed := time.process_time() - started) < seconds:
            for start in range(0, len(texts), BATCH):
                work(texts[start : start + BATCH])
            done += len(texts)
        rates.append(done / elapsed)
    return statistics.median(rates)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per timed pass")
    parser.add_argument("--real", action="store_true", help="also time our TipDM rows")
    parser.add_argument("--data-root", type=Path, default=None)
    args = parser.parse_args(argv)

    from threadpoolctl import threadpool_limits

    from plaint.classifier.textmodel import fit
    from plaint.config import load_config
    from plaint.service.classification import classify_texts

    sys.path.insert(0, str(HERE))
    import real_text

    taxonomy = load_config(None).taxonomy
    written = real_text.written_rows()
    model = fit([r["text"] for r in written], [r["department"] for r in written],
                label_field="department")  # fmt: skip
    sets = {"written": [r["text"] for r in written]}
    if args.real:
        root = args.data_root or real_text.DEFAULT_ROOT
        sets["tipdm"] = [r["text"] for r in real_text.labelled_rows(root)]
    print(f"model: {model.info.family} on {model.info.n_rows} written rows (department)")
    with threadpool_limits(limits=1):
        for name, texts in sets.items():
            rules = rate(lambda b: classify_texts(b, taxonomy=taxonomy), texts, args.seconds)
            both = rate(
                lambda b: classify_texts(b, taxonomy=taxonomy, model=model), texts, args.seconds
            )
            mean = sum(map(len, texts)) / len(texts)
            print(
                f"{name:<8} {len(texts):>4} texts, {mean:>5.0f} chars on average: rules "
                f"{rules:>7.0f} texts/s, rules + model {both:>7.0f} texts/s (one core)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
