"""Classifying complaint texts: the rule engine decides, and a trained model more
confident on its field overrides it (:mod:`plaint.pipeline.combine`). The one place where
triage and ``plaint classify`` meet the model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from plaint.pipeline.classify import Taxonomy
from plaint.pipeline.combine import Decision, ModelOpinion, decide

if TYPE_CHECKING:
    from plaint.classifier.textmodel import TextModel

__all__ = ["UNSAVED_VERSION", "classify_texts", "model_opinions"]

UNSAVED_VERSION = "unsaved"  # named in ``rules`` for a model that was never saved


def model_opinions(model: TextModel, texts: Sequence[str]) -> list[ModelOpinion]:
    """Return ``model``'s opinion of each text, in order (one batch prediction)."""
    version = model.info.version or UNSAVED_VERSION
    return [
        ModelOpinion(model.info.label_field, p.label, p.confidence, version)
        for p in model.predict(texts)
    ]


def classify_texts(
    texts: Sequence[str], *, taxonomy: Taxonomy, model: TextModel | None = None
) -> list[Decision]:
    """Return the decision for each text, in order: the rules of ``taxonomy``, overridden
    by ``model`` (if given) where it is more confident on its field."""
    if model is None:
        return [decide(text, taxonomy=taxonomy) for text in texts]
    opinions = model_opinions(model, texts)
    return [
        decide(text, taxonomy=taxonomy, opinion=opinion)
        for text, opinion in zip(texts, opinions, strict=True)
    ]
