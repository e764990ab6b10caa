"""Scoring a classifier's predictions against gold labels: accuracy, per-label precision,
recall and F1, and macro-F1 (as scikit-learn's ``average="macro"``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Evaluation", "LabelScore", "evaluate", "triage_scores"]

_DIGITS = 4  # decimals kept by Evaluation.as_dict


@dataclass(frozen=True)
class LabelScore:
    """Precision, recall and F1 of one label, and how many gold rows carry it."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Evaluation:
    """Scores of predictions against gold labels.

    ``macro_f1`` averages F1 over every label that occurs in the gold labels or the
    predictions (a label never right scores 0), like scikit-learn's ``average="macro"``.
    """

    n: int
    accuracy: float
    macro_f1: float
    per_label: Mapping[str, LabelScore]

    def as_dict(self) -> dict[str, Any]:
        """Return the scores as JSON values with stable keys (``n``, ``accuracy``,
        ``macro_f1``, ``per_label``: label → precision, recall, f1, support), rounded to
        four decimals."""
        return {
            "n": self.n,
            "accuracy": round(self.accuracy, _DIGITS),
            "macro_f1": round(self.macro_f1, _DIGITS),
            "per_label": {
                label: {
                    "precision": round(s.precision, _DIGITS),
                    "recall": round(s.recall, _DIGITS),
                    "f1": round(s.f1, _DIGITS),
                    "support": s.support,
                }
                for label, s in self.per_label.items()
            },
        }


def evaluate(gold: Sequence[str], predicted: Sequence[str]) -> Evaluation:
    """Score ``predicted`` against ``gold``; raise ValueError if their lengths differ.

    Empty input scores 0 everywhere.
    """
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    per_label = {
        label: _label_score(label, gold, predicted) for label in sorted({*gold, *predicted})
    }
    n = len(gold)
    correct = sum(g == p for g, p in zip(gold, predicted, strict=True))
    macro = sum(s.f1 for s in per_label.values()) / len(per_label) if per_label else 0.0
    return Evaluation(n=n, accuracy=correct / n if n else 0.0, macro_f1=macro, per_label=per_label)


def _label_score(label: str, gold: Sequence[str], predicted: Sequence[str]) -> LabelScore:
    pairs = list(zip(gold, predicted, strict=True))
    true_pos = sum(g == label and p == label for g, p in pairs)
    support = sum(g == label for g in gold)
    n_predicted = sum(p == label for p in predicted)
    precision = true_pos / n_predicted if n_predicted else 0.0
    recall = true_pos / support if support else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return LabelScore(precision=precision, recall=recall, f1=f1, support=support)


def triage_scores(
    gold: Sequence[Mapping[str, Any]], predicted: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Score triage decisions field by field, as the real-text floors are stated.

    Each row maps ``department``, ``scope``, ``validity`` and ``urgency`` to its code.
    Returns ``n``; ``department_accuracy``, ``department_macro_f1``, ``scope_macro_f1``;
    ``invalid_recall`` and ``invalid_precision`` (of ``validity == "invalid"``);
    ``emergencies`` (gold), ``emergencies_caught`` and ``false_emergencies``. Raises
    ValueError if the lengths differ.
    """
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold rows but {len(predicted)} predictions")
    department = evaluate([str(g["department"]) for g in gold],
                          [str(p["department"]) for p in predicted])  # fmt: skip
    scope = evaluate([str(g["scope"]) for g in gold], [str(p["scope"]) for p in predicted])
    validity = evaluate([str(g["validity"]) for g in gold],
                        [str(p["validity"]) for p in predicted])  # fmt: skip
    invalid = validity.per_label.get("invalid", LabelScore(0.0, 0.0, 0.0, 0))
    pairs = list(zip(gold, predicted, strict=True))
    return {
        "n": len(gold),
        "department_accuracy": round(department.accuracy, _DIGITS),
        "department_macro_f1": round(department.macro_f1, _DIGITS),
        "scope_macro_f1": round(scope.macro_f1, _DIGITS),
        "invalid_recall": round(invalid.recall, _DIGITS),
        "invalid_precision": round(invalid.precision, _DIGITS),
        "emergencies": sum(g["urgency"] == "emergency" for g in gold),
        "emergencies_caught": sum(g["urgency"] == "emergency" == p["urgency"] for g, p in pairs),
        "false_emergencies": sum(p["urgency"] == "emergency" != g["urgency"] for g, p in pairs),
    }
