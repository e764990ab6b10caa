"""Combining the rule engine's decision with a trained model's opinion.

Rules decide first. A model trained on one field (``sub_topic``, ``department``…) replaces
that field only when its confidence is strictly higher than the rules'; a ``sub_topic``
taken from the model brings that sub-topic's category, department and scope from the
taxonomy, so the result stays consistent. The model's version is named in ``rules``.
"""

from __future__ import annotations

import dataclasses

from plaint.pipeline.classify import Classification, Taxonomy

__all__ = ["MODEL_FIELDS", "apply_model"]

MODEL_FIELDS = ("department", "category", "sub_topic", "scope", "level", "urgency", "validity")
_INTEGER_FIELDS = frozenset({"scope", "level"})


def apply_model(
    decision: Classification,
    *,
    field: str,
    label: str,
    confidence: float,
    version: str,
    taxonomy: Taxonomy,
) -> Classification:
    """Return ``decision`` with the model's ``label`` for ``field`` if the model is more
    confident than the rules (and the label is usable); otherwise ``decision`` unchanged."""
    if field not in MODEL_FIELDS or not decision.confidence < confidence:
        return decision
    if field in _INTEGER_FIELDS and not label.isdigit():
        return decision
    changes: dict[str, object] = {field: int(label) if field in _INTEGER_FIELDS else label}
    if field == "sub_topic":
        if label not in taxonomy.sub_topics:
            return decision
        category, department, scope = taxonomy.sub_topics[label]
        changes.update(category=category, department=department, scope=scope)
    return dataclasses.replace(
        decision,
        **changes,  # type: ignore[arg-type]
        confidence=round(confidence, 2),
        rules=(*decision.rules, f"model:{version}"),
    )
