"""``plaint train``, ``plaint eval classifier`` and ``plaint classify``: the text model and
the rule engine from the command line.

Input files are JSON Lines: one object per line, blank lines ignored, lines counted from 1.
A label field may be a dotted path into the row, with numbers indexing lists:
``department``, ``category.0`` (the first element of ``category``), ``extra.queue``.

``train`` and ``eval`` skip rows whose ``text`` is not a string or whose label is missing
or empty, and say on stderr how many and which lines; a line that is not a JSON object, or
a label that is a list or an object, stops the command (ConfigError naming the line, exit 2).

``classify --batch`` prints exactly one line per non-blank input line, in order, each with
its ``line`` number. A bad line (not JSON, not an object, no string ``text``) prints
``{"line": N, "error": "..."}`` in its place, the remaining lines are still classified, the
problem is repeated on stderr and the command exits 2.

``--model DIR`` adds a trained model's opinion (``model``: version, field, label,
confidence). When the model's field is one of the result's fields and the rule engine's
confidence is below the model's, the model's label replaces that field, ``confidence``
becomes the model's, ``source`` becomes ``"model"`` and ``model:VERSION`` is appended to
``rules``. A ``sub_topic`` taken from the model also brings that sub-topic's category,
department and scope from the taxonomy, so the result stays consistent.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from plaint.errors import ConfigError

if TYPE_CHECKING:
    from plaint.classifier.textmodel import Evaluation, Prediction, TextModel
    from plaint.pipeline.classify import Classification, Taxonomy

__all__ = ["register"]

EXIT_BAD_INPUT = 2
_BATCH_CHUNK = 512  # rows classified and printed together
_MAX_LINES_LISTED = 10  # line numbers quoted in a message about skipped rows
_MAX_ERRORS_REPEATED = 20  # bad batch rows repeated on stderr
_RESULT_FIELDS = (
    "department",
    "category",
    "sub_topic",
    "scope",
    "level",
    "urgency",
    "validity",
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``train``, ``eval`` (with ``classifier``) and ``classify`` commands."""
    _register_train(subparsers)
    _register_eval(subparsers)
    _register_classify(subparsers)


def _register_train(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    train = subparsers.add_parser(
        "train",
        help="train a text classifier from labelled JSON Lines",
        description="Train on rows with a 'text' and a label; print the version written.",
    )
    train.add_argument("--data", type=Path, metavar="FILE.jsonl", help="labelled rows")
    train.add_argument(
        "--corrections",
        action="store_true",
        help="also learn from staff reclassifications in the database (PLAINT_DATABASE_URL)",
    )
    train.add_argument("--label-field", required=True, metavar="NAME", help="e.g. department")
    train.add_argument("--out", required=True, type=Path, metavar="DIR", help="model directory")
    train.add_argument("--seed", type=int, default=0, help="default %(default)s")
    train.set_defaults(handler=_train)


def _register_eval(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    evaluate = subparsers.add_parser("eval", help="measure a component on labelled data")
    commands = evaluate.add_subparsers(dest="eval_command", required=True, metavar="WHAT")
    classifier = commands.add_parser(
        "classifier",
        help="score a trained text model",
        description="Print accuracy, macro-F1 and per-label scores of a model on a file.",
    )
    classifier.add_argument("--model", required=True, type=Path, metavar="DIR")
    classifier.add_argument("--data", required=True, type=Path, metavar="FILE.jsonl")
    classifier.add_argument(
        "--label-field", metavar="NAME", help="default: the field the model was trained on"
    )
    classifier.add_argument("--json", action="store_true", help="print one JSON object")
    classifier.set_defaults(handler=_eval_classifier)


def _register_classify(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    classify = subparsers.add_parser(
        "classify",
        help="classify complaint text with the rules (and a model)",
        description="Classify TEXT, or every row of --batch FILE.jsonl, with the rule "
        "engine of the configuration (PLAINT_CONFIG, else the defaults).",
    )
    classify.add_argument("text", nargs="?", metavar="TEXT")
    classify.add_argument(
        "--batch", type=Path, metavar="FILE.jsonl", help="rows with a 'text' field; - for stdin"
    )
    classify.add_argument("--model", type=Path, metavar="DIR", help="a trained model directory")
    classify.add_argument("--json", action="store_true", help="print JSON objects")
    classify.set_defaults(handler=_classify)


# --- train and eval -------------------------------------------------------------------


@dataclass(frozen=True)
class _Labelled:
    """The usable rows of a labelled file, and the line numbers of the skipped ones."""

    texts: list[str]
    labels: list[str]
    skipped: list[int]


def _train(args: argparse.Namespace) -> int:
    """Train, save as a new current version, print its name; ConfigError on bad input."""
    from plaint.classifier.textmodel import fit

    if args.data is None and not args.corrections:
        raise ConfigError("train needs --data FILE.jsonl, --corrections, or both")
    data = _Labelled([], [], [])
    if args.data is not None:
        data = _read_labelled(args.data, args.label_field)
        _report_skipped(data, args.label_field)
    if args.corrections:
        fixed = _corrections(args.label_field)
        print(f"plaint: {len(fixed)} staff corrections of {args.label_field!r}", file=sys.stderr)
        data.texts.extend(text for text, _ in fixed)
        data.labels.extend(label for _, label in fixed)
    if not data.texts:
        raise ConfigError(f"no labelled rows of {args.label_field!r} to train on")
    model = fit(data.texts, data.labels, label_field=args.label_field, seed=args.seed)
    try:
        version = model.save(args.out)
    except OSError as exc:
        raise ConfigError(f"cannot write the model to {args.out}: {exc}") from exc
    print(
        f"plaint: trained {version} on {len(data.texts)} rows, "
        f"{len(model.info.labels)} labels of {args.label_field!r}",
        file=sys.stderr,
    )
    print(version)
    return 0


def _corrections(field: str) -> list[tuple[str, str]]:
    from plaint.cli.common import open_db
    from plaint.service.corrections import corrections

    with open_db() as (sessions, _config), sessions() as session:
        return corrections(session, field=field)


def _eval_classifier(args: argparse.Namespace) -> int:
    """Print the model's scores on the file; ConfigError on bad input or a bad model."""
    from plaint.classifier.textmodel import evaluate, load_model

    model = load_model(args.model)
    field = args.label_field or model.info.label_field
    data = _read_labelled(args.data, field)
    _report_skipped(data, field)
    predicted = [p.label for p in model.predict(data.texts)]
    result = evaluate(data.labels, predicted)
    if args.json:
        print(json.dumps(_evaluation_json(result, model, field, data), ensure_ascii=False))
    else:
        print(_evaluation_text(result, model, field, data))
    return 0


def _evaluation_json(
    result: Evaluation, model: TextModel, field: str, data: _Labelled
) -> dict[str, Any]:
    return {
        "n": result.n,
        "skipped": len(data.skipped),
        "accuracy": round(result.accuracy, 4),
        "macro_f1": round(result.macro_f1, 4),
        "per_label": {
            label: {
                "precision": round(s.precision, 4),
                "recall": round(s.recall, 4),
                "f1": round(s.f1, 4),
                "support": s.support,
            }
            for label, s in result.per_label.items()
        },
        "model_version": model.info.version,
        "label_field": field,
    }


def _evaluation_text(result: Evaluation, model: TextModel, field: str, data: _Labelled) -> str:
    from plaint.cli.textable import render_table

    rows = [
        [label, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}", str(s.support)]
        for label, s in result.per_label.items()
    ]
    head = (
        f"model {model.info.version} ({field}) on {result.n} rows"
        f" ({len(data.skipped)} skipped)\n"
        f"accuracy  {result.accuracy:.4f}\nmacro-F1  {result.macro_f1:.4f}\n\n"
    )
    return head + render_table(["label", "precision", "recall", "f1", "support"], rows)


def _read_labelled(path: Path, field: str) -> _Labelled:
    texts: list[str] = []
    labels: list[str] = []
    skipped: list[int] = []
    for number, row, problem in _rows(path):
        if problem is not None:
            raise ConfigError(f"{path}:{number}: {problem}")
        text = row.get("text")
        label = _label(row, field, where=f"{path}:{number}")
        if isinstance(text, str) and label is not None:
            texts.append(text)
            labels.append(label)
        else:
            skipped.append(number)
    return _Labelled(texts=texts, labels=labels, skipped=skipped)


def _label(row: dict[str, Any], field: str, *, where: str) -> str | None:
    """Return the label at the dotted ``field``, None if missing or empty."""
    value: Any = row
    for part in field.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit():
            value = value[int(part)] if int(part) < len(value) else None
        else:
            return None
    if isinstance(value, list | dict):
        hint = f"; name an element, e.g. '{field}.0'" if isinstance(value, list) else ""
        raise ConfigError(f"{where}: {field!r} is a {type(value).__name__}, not a label{hint}")
    if value is None or isinstance(value, bool) or str(value).strip() == "":
        return None
    return str(value).strip()


def _report_skipped(data: _Labelled, field: str) -> None:
    if not data.skipped:
        return
    shown = ", ".join(str(n) for n in data.skipped[:_MAX_LINES_LISTED])
    more = ", …" if len(data.skipped) > _MAX_LINES_LISTED else ""
    total = len(data.skipped) + len(data.texts)
    print(
        f"plaint: skipped {len(data.skipped)} of {total} rows without a text or {field!r}"
        f" (lines {shown}{more})",
        file=sys.stderr,
    )


# --- classify -------------------------------------------------------------------------


def _classify(args: argparse.Namespace) -> int:
    """Classify TEXT or each --batch row; return 2 if any batch row was bad."""
    if (args.text is None) == (args.batch is None):
        raise ConfigError("give either TEXT or --batch FILE.jsonl")
    taxonomy = _taxonomy()
    model = _load_model(args.model) if args.model is not None else None
    if args.text is not None:
        result = _decide(args.text, taxonomy=taxonomy, model=model)
        print(json.dumps(result, ensure_ascii=False) if args.json else _result_text(result))
        return 0
    return _classify_batch(args.batch, taxonomy=taxonomy, model=model, as_json=args.json)


def _taxonomy() -> Taxonomy:
    from plaint.config import load_config, load_settings

    return load_config(load_settings(os.environ).config_path).taxonomy


def _load_model(directory: Path) -> TextModel:
    from plaint.classifier.textmodel import load_model

    return load_model(directory)


def _classify_batch(
    path: Path, *, taxonomy: Taxonomy, model: TextModel | None, as_json: bool
) -> int:
    errors: list[str] = []
    table: list[dict[str, Any]] = []
    chunk: list[tuple[int, Any, str | None]] = []
    for item in _rows(path):
        chunk.append(item)
        if len(chunk) == _BATCH_CHUNK:
            _emit(_classify_chunk(chunk, taxonomy, model, errors), as_json=as_json, table=table)
            chunk = []
    _emit(_classify_chunk(chunk, taxonomy, model, errors), as_json=as_json, table=table)
    if not as_json:
        print(_batch_table(table))
    for message in errors[:_MAX_ERRORS_REPEATED]:
        print(f"plaint: error: {path}:{message}", file=sys.stderr)
    if len(errors) > _MAX_ERRORS_REPEATED:
        print(f"plaint: error: … and {len(errors) - _MAX_ERRORS_REPEATED} more", file=sys.stderr)
    return EXIT_BAD_INPUT if errors else 0


def _classify_chunk(
    chunk: Sequence[tuple[int, Any, str | None]],
    taxonomy: Taxonomy,
    model: TextModel | None,
    errors: list[str],
) -> list[dict[str, Any]]:
    """Return one result per row of ``chunk``; bad rows become ``error`` objects."""
    texts = {
        number: row["text"]
        for number, row, problem in chunk
        if problem is None and isinstance(row.get("text"), str)
    }
    predictions = (
        dict(zip(texts, model.predict(list(texts.values())), strict=True)) if model else {}
    )
    results = []
    for number, _row, problem in chunk:
        if number in texts:
            result = _decide(
                texts[number], taxonomy=taxonomy, model=model, prediction=predictions.get(number)
            )
            results.append({"line": number, **result})
            continue
        problem = problem or "the row has no string 'text' field"
        errors.append(f"{number}: {problem}")
        results.append({"line": number, "error": problem})
    return results


def _emit(results: list[dict[str, Any]], *, as_json: bool, table: list[dict[str, Any]]) -> None:
    if as_json:
        for result in results:
            print(json.dumps(result, ensure_ascii=False))
    else:
        table.extend(results)


def _decide(
    text: str,
    *,
    taxonomy: Taxonomy,
    model: TextModel | None,
    prediction: Prediction | None = None,
) -> dict[str, Any]:
    """Return the rule engine's result for ``text``, overridden by the model as documented."""
    from plaint.pipeline.classify import classify

    decision = classify(text, taxonomy=taxonomy)
    result = _result(decision)
    if model is None:
        return result
    if prediction is None:
        prediction = model.predict([text])[0]
    _apply_model(result, decision, model, prediction, taxonomy)
    return result


def _result(decision: Classification) -> dict[str, Any]:
    result: dict[str, Any] = {name: getattr(decision, name) for name in _RESULT_FIELDS}
    result["confidence"] = decision.confidence
    result["rules"] = list(decision.rules)
    result["source"] = "rules"
    return result


def _apply_model(
    result: dict[str, Any],
    decision: Classification,
    model: TextModel,
    prediction: Prediction,
    taxonomy: Taxonomy,
) -> None:
    from plaint.pipeline.combine import apply_model

    field = model.info.label_field
    result["model"] = {
        "version": model.info.version,
        "field": field,
        "label": prediction.label,
        "confidence": round(prediction.confidence, 2),
    }
    combined = apply_model(
        decision,
        field=field,
        label=prediction.label,
        confidence=prediction.confidence,
        version=model.info.version or "unsaved",
        taxonomy=taxonomy,
    )
    if combined is not decision:
        result.update(_result(combined))
        result["source"] = "model"


def _result_text(result: dict[str, Any]) -> str:
    lines = [f"{name:<11} {result[name]}" for name in _RESULT_FIELDS]
    lines.append(f"{'confidence':<11} {result['confidence']:.2f} (from {result['source']})")
    lines.append(f"{'rules':<11} {', '.join(result['rules']) or '(none fired)'}")
    if "model" in result:
        m = result["model"]
        lines.append(
            f"{'model':<11} {m['version']}: {m['field']} = {m['label']} ({m['confidence']:.2f})"
        )
    return "\n".join(lines)


def _batch_table(results: list[dict[str, Any]]) -> str:
    from plaint.cli.textable import render_table

    headers = ["line", "department", "sub_topic", "urgency", "validity", "confidence", "rules"]
    rows = []
    for r in results:
        if "error" in r:
            rows.append([str(r["line"]), "error: " + r["error"], "", "", "", "", ""])
            continue
        cells = [r["department"], r["sub_topic"], r["urgency"], r["validity"]]
        rows.append([str(r["line"]), *cells, f"{r['confidence']:.2f}", ",".join(r["rules"])])
    return render_table(headers, rows)


# --- reading JSON Lines ---------------------------------------------------------------


def _rows(path: Path) -> Iterator[tuple[int, Any, str | None]]:
    """Yield (line number, object, None) or (line number, None, problem) per non-blank line.

    Raises ConfigError if the file cannot be opened.
    """
    if str(path) == "-":
        yield from _parse_lines(sys.stdin.buffer)
        return
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    with handle:
        yield from _parse_lines(handle)


def _parse_lines(handle: BinaryIO) -> Iterator[tuple[int, Any, str | None]]:
    for number, raw in enumerate(handle, start=1):
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            yield number, None, "the line is not UTF-8"
            continue
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, None, f"not valid JSON ({exc.msg}, column {exc.colno})"
            continue
        if not isinstance(row, dict):
            yield number, None, f"expected a JSON object, got {type(row).__name__}"
            continue
        yield number, row, None
