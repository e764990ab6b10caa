"""Benchmark: triage on real residents' text, against our own labels of TipDM rows.

    python bench/real_text.py                        # the rules of the default configuration
    python bench/real_text.py --model DIR            # with a trained model's opinion
    python bench/real_text.py --json
    python bench/real_text.py --confusion            # the dev rows' department confusion

The labels are ours (bench/data/tipdm_labels.jsonl: ids and codes only, labelled by
bench/data/LABELLING.md); the texts are read from ../shared/eval/complaints/
tipdm2020c_cn_gov_messages (research use only, never copied into the repository). Rows are
split into ``dev`` (rules were tuned looking at these) and ``heldout`` (never looked at
while tuning). The written examples (bench/data/property_complaints.jsonl, 271 rows) are
scored the same way. Figures: department accuracy and macro-F1, scope macro-F1, invalid
recall and precision, emergencies caught of those labelled and false emergencies.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LABELS = HERE / "data" / "tipdm_labels.jsonl"
WRITTEN = HERE / "data" / "property_complaints.jsonl"
DEFAULT_ROOT = HERE.parents[1] / "shared" / "eval" / "complaints"
TIPDM = "tipdm2020c_cn_gov_messages"
TIPDM_FILES = ("labeled.jsonl", "replied.jsonl")
FIELDS = ("department", "scope", "validity", "urgency")


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def labelled_rows(root: Path, labels: Path = LABELS) -> list[dict[str, Any]]:
    """Our labels joined with the TipDM texts (``text`` added); raises FileNotFoundError
    when the TipDM folder is absent and KeyError when a labelled id has no text."""
    texts = {row["id"]: row["text"] for name in TIPDM_FILES for row in _jsonl(root / TIPDM / name)}
    return [{**row, "text": texts[row["id"]]} for row in _jsonl(labels)]


def written_rows(path: Path = WRITTEN) -> list[dict[str, Any]]:
    """The project's own written examples, with the same fields."""
    return list(_jsonl(path))


def decide_all(texts: list[str], *, model_dir: Path | None) -> list[dict[str, Any]]:
    """The triage decision for each text: rules of the default configuration, plus the
    model in ``model_dir`` if given."""
    from plaint.classifier.textmodel import load_model
    from plaint.config import load_config
    from plaint.service.classification import classify_texts

    taxonomy = load_config(None).taxonomy
    model = load_model(model_dir) if model_dir is not None else None
    return [
        {field: getattr(d.result, field) for field in FIELDS}
        for d in classify_texts(texts, taxonomy=taxonomy, model=model)
    ]


def report(root: Path, *, model_dir: Path | None) -> dict[str, Any]:
    """Scores per split of the labelled TipDM rows and on the written examples."""
    from plaint.classifier.evaluate import triage_scores

    sets: dict[str, list[dict[str, Any]]] = {}
    real = labelled_rows(root)
    for split in ("dev", "heldout"):
        sets[f"tipdm_{split}"] = [row for row in real if row["split"] == split]
    sets["written"] = written_rows()
    return {
        name: triage_scores(rows, decide_all([r["text"] for r in rows], model_dir=model_dir))
        for name, rows in sets.items()
    }


def dev_confusion(root: Path, *, model_dir: Path | None) -> str:
    """The department confusion matrix of the ``dev`` rows only (``heldout`` rows are scored
    as a whole, never inspected): gold in rows, predicted in columns, an invalid decision
    counted as ``invalid`` whatever its department."""
    rows = [row for row in labelled_rows(root) if row["split"] == "dev"]
    decided = decide_all([row["text"] for row in rows], model_dir=model_dir)

    def label(row: dict[str, Any]) -> str:
        return "invalid" if row["validity"] == "invalid" else str(row["department"])

    pairs = Counter((label(g), label(p)) for g, p in zip(rows, decided, strict=True))
    labels = sorted({code for pair in pairs for code in pair})
    lines = ["gold \\ predicted".ljust(18) + "".join(f"{code[:8]:>9}" for code in labels)]
    for gold in labels:
        lines.append(f"{gold:<18}" + "".join(f"{pairs[gold, p]:>9}" for p in labels))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", type=Path, default=DEFAULT_ROOT)
    parser.add_argument("--model", type=Path, default=None, help="a trained model directory")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--confusion", action="store_true", help="print the dev rows' department confusion"
    )
    args = parser.parse_args(argv)
    if not (args.data_root / TIPDM).is_dir():
        print(f"bench: error: {args.data_root / TIPDM} is missing", file=sys.stderr)
        return 2
    if args.confusion:
        print(dev_confusion(args.data_root, model_dir=args.model))
        return 0
    result = report(args.data_root, model_dir=args.model)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    keys = list(next(iter(result.values())))
    print(f"{'':<22}" + "".join(f"{name:>14}" for name in result))
    for key in keys:
        print(f"{key:<22}" + "".join(f"{result[name][key]:>14}" for name in result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
