"""Choosing the model family and its regularisation by cross-validation on the training
rows, so that a plain baseline never beats the trained model where it would have won.

Candidates, in order of preference (a tie goes to the earlier one):

``svm``           the profile's n-grams (see :mod:`plaint.classifier.textmodel`), a linear
                  SVM with balanced class weights (C 0.5), calibrated afterwards
``logreg``        the profile's n-grams, logistic regression (C 10: the n-gram union is
                  sparse and wide, so weak regularisation fits it best)
``logreg-plain``  TF-IDF as scikit-learn's defaults read it (words; character 1–2-grams for
                  CJK text, which has no spaces) and logistic regression at its default C 1:
                  the plain baseline itself, so it can always be chosen
``logreg-plain-c10``  the same features, C 10

Each candidate is scored by macro-F1 averaged over the seeded folds the caller gives (the
calibration folds); the best is refitted on every row by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.pipeline import FeatureUnion  # type: ignore[import-untyped]
from sklearn.svm import LinearSVC  # type: ignore[import-untyped]

from plaint.classifier.evaluate import evaluate

__all__ = ["CANDIDATES", "Candidate", "Selection", "features", "select", "untrained"]

# LogisticRegression's default of 100 iterations stops lbfgs short on wide n-gram
# matrices (ConvergenceWarning); 1,000 reaches convergence on every set we measured.
_LOGREG_MAX_ITER = 1_000
_SVM_MAX_ITER = 10_000


@dataclass(frozen=True)
class Candidate:
    """A model family (``svm`` or ``logreg``), its C and the features it reads
    (``profile``: plaint's n-grams for the text's script; ``plain``: the baseline's)."""

    name: str
    family: str
    c: float
    features: str


CANDIDATES = (
    Candidate("svm", "svm", 0.5, "profile"),
    Candidate("logreg", "logreg", 10.0, "profile"),
    Candidate("logreg-plain", "logreg", 1.0, "plain"),
    Candidate("logreg-plain-c10", "logreg", 10.0, "plain"),
)


@dataclass(frozen=True)
class Selection:
    """The chosen candidate and every candidate's cross-validated macro-F1."""

    chosen: Candidate
    scores: dict[str, float]


def features(kind: str, profile: str) -> Any:
    """An unfitted TF-IDF vectoriser: ``plain`` (the baseline's) or ``profile``.

    ``profile`` uses sublinear term frequency; for ``cjk`` character 1–2-grams, otherwise
    word 1–2-grams with character 1–4-grams inside word boundaries.
    """
    if kind == "plain":
        if profile == "cjk":
            return TfidfVectorizer(analyzer="char", ngram_range=(1, 2))
        return TfidfVectorizer()
    if profile == "cjk":
        return TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True)
    return FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
            (
                "chars",
                TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True),
            ),
        ]
    )


def untrained(candidate: Candidate, *, seed: int) -> Any:
    """The candidate's unfitted classifier (the SVM uncalibrated)."""
    if candidate.family == "svm":
        return LinearSVC(
            C=candidate.c, class_weight="balanced", max_iter=_SVM_MAX_ITER, random_state=seed
        )
    return LogisticRegression(C=candidate.c, max_iter=_LOGREG_MAX_ITER)


def select(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    folds: Sequence[tuple[list[int], list[int]]],
    profile: str,
    seed: int,
    candidates: Sequence[Candidate] = CANDIDATES,
) -> Selection:
    """Score each candidate on ``folds`` (train, test index lists) and return the best.

    Each fold's vectoriser is fitted on that fold's training rows only. A fold whose
    training rows yield no vocabulary scores 0 for the candidates reading it.
    """
    totals = dict.fromkeys((c.name for c in candidates), 0.0)
    for train, test in folds:
        for kind in sorted({c.features for c in candidates}):
            vectoriser = features(kind, profile)
            try:
                x_train = vectoriser.fit_transform([texts[i] for i in train])
            except ValueError:
                continue
            x_test = vectoriser.transform([texts[i] for i in test])
            y_train = [labels[i] for i in train]
            gold = [labels[i] for i in test]
            for candidate in (c for c in candidates if c.features == kind):
                model = untrained(candidate, seed=seed).fit(x_train, y_train)
                predicted = [str(y) for y in model.predict(x_test)]
                totals[candidate.name] += evaluate(gold, predicted).macro_f1
    scores = {name: round(total / len(folds), 4) for name, total in totals.items()}
    chosen = max(candidates, key=lambda c: scores[c.name])  # first of equals wins
    return Selection(chosen=chosen, scores=scores)
