"""Combining the rule engine's decision with a trained model's opinion.

Rules decide first. A model trained on one field (``sub_topic``, ``department``…) replaces
that field only when its confidence is strictly higher than the rules'; a ``sub_topic``
taken from the model brings that sub-topic's category, department and scope from the
taxonomy, so the result stays consistent. The model's version is named in ``rules``.

The rules keep the last word where they are explicit: a model never lowers an emergency to
``normal``, and never moves a text that a remit rule placed with the developer or an
outside authority (a fired rule with scope 2 or 3 and no sub-topic) on the fields that
say who acts (``department``, ``sub_topic``, ``scope``).

:func:`decide` is the whole decision for one text, used by triage and by ``plaint
classify``; the model's opinion is computed by the caller (a model predicts in batches).
"""

from __future__ import annotations

import dataclasses

from plaint.pipeline.classify import Classification, Taxonomy, classify

__all__ = ["MODEL_FIELDS", "Decision", "ModelOpinion", "apply_model", "decide"]

MODEL_FIELDS = ("department", "category", "sub_topic", "scope", "level", "urgency", "validity")
_INTEGER_FIELDS = frozenset({"scope", "level"})


@dataclasses.dataclass(frozen=True)
class ModelOpinion:
    """A trained model's label for one text: the field it was trained on, the label, its
    probability (0..1) and the model's version."""

    field: str
    label: str
    confidence: float
    version: str


@dataclasses.dataclass(frozen=True)
class Decision:
    """The rules' classification of a text, the model's opinion (if a model was asked) and
    the result of combining them."""

    result: Classification
    rules: Classification
    opinion: ModelOpinion | None = None

    @property
    def source(self) -> str:
        """``"model"`` when the model's opinion replaced a field, else ``"rules"``."""
        return "rules" if self.result is self.rules else "model"


def decide(text: str, *, taxonomy: Taxonomy, opinion: ModelOpinion | None = None) -> Decision:
    """Classify ``text`` with the rules of ``taxonomy``, then let the model's ``opinion``
    override its field as :func:`apply_model` allows."""
    rules = classify(text, taxonomy=taxonomy)
    if opinion is None:
        return Decision(result=rules, rules=rules)
    result = apply_model(rules, field=opinion.field, label=opinion.label,
                         confidence=opinion.confidence, version=opinion.version,
                         taxonomy=taxonomy)  # fmt: skip
    return Decision(result=result, rules=rules, opinion=opinion)


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
    if _rules_have_the_last_word(decision, field, label, taxonomy):
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


_WHO_ACTS = frozenset({"department", "sub_topic", "scope"})


def _rules_have_the_last_word(
    decision: Classification, field: str, label: str, taxonomy: Taxonomy
) -> bool:
    """Whether ``decision`` holds on ``field`` whatever the model says (see the module)."""
    if field == "urgency":
        return decision.urgency == "emergency" and label != "emergency"
    if field not in _WHO_ACTS:
        return False
    fired = set(decision.rules)
    return any(
        rule.name in fired and rule.sub_topic is None and rule.scope in (2, 3)
        for rule in taxonomy.rules
    )
