"""``plaint train``, ``plaint eval classifier`` and ``plaint classify``: the text model and
the rule engine from the command line.

Input files are JSON Lines (:mod:`plaint.classifier.jsonl`). ``train`` and ``eval`` skip
rows whose ``text`` is not a string or whose label is missing or empty, and say on stderr
how many and which lines; a line that is not a JSON object, or a label that is a list or
an object, stops the command (ConfigError naming the line, exit 2).

``classify --batch`` prints exactly one line per non-blank input line, in order, each with
its ``line`` number. A bad line (not JSON, not an object, no string ``text``) prints
``{"line": N, "error": "..."}`` in its place, the remaining lines are still classified, the
problem is repeated on stderr and the command exits 2.

``--model DIR`` adds a trained model's opinion (``model``: version, field, label,
confidence); where it overrides the rules (:mod:`plaint.pipeline.combine`), ``source`` is
``"model"`` and ``model:VERSION`` is appended to ``rules``.

On a terminal, ``train`` shows the step under way and ``classify --batch`` the rows done,
on stderr.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from plaint.errors import ConfigError

if TYPE_CHECKING:
    from plaint.classifier.jsonl import JsonlRow, Labelled
    from plaint.classifier.textmodel import TextModel
    from plaint.pipeline.classify import Taxonomy
    from plaint.pipeline.combine import Decision

    _Subparsers: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]

from plaint.cli import emaileval

__all__ = ["register"]

EXIT_BAD_INPUT = 2
_BATCH_CHUNK = 512  # rows classified and printed together
_MAX_LINES_LISTED = 10  # line numbers quoted in a message about skipped rows
_MAX_ERRORS_REPEATED = 20  # bad batch rows repeated on stderr


def register(subparsers: _Subparsers) -> None:
    """Add the ``train``, ``eval`` (with ``classifier``) and ``classify`` commands."""
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
    _register_eval(subparsers)
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


def _register_eval(subparsers: _Subparsers) -> None:
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
    emaileval.register(commands)


# --- train and eval -------------------------------------------------------------------


def _train(args: argparse.Namespace) -> int:
    """Train, save as a new current version, print its name; ConfigError on bad input."""
    from plaint.cli.output import steps

    if args.data is None and not args.corrections:
        raise ConfigError("train needs --data FILE.jsonl, --corrections, or both")
    field = args.label_field
    with steps("reading the labelled rows") as step:
        data = _training_data(args.data, field, corrections=args.corrections)
        if not data.texts:
            raise ConfigError(f"no labelled rows of {field!r} to train on")
        step("loading scikit-learn")
        from plaint.classifier.textmodel import fit

        model = fit(data.texts, data.labels, label_field=field, seed=args.seed, on_step=step)
        step(f"saving the model in {args.out}")
        try:
            version = model.save(args.out)
        except OSError as exc:
            raise ConfigError(f"cannot write the model to {args.out}: {exc}") from exc
    print(f"plaint: trained {version} on {len(data.texts)} rows, "
          f"{len(model.info.labels)} labels of {field!r}", file=sys.stderr)  # fmt: skip
    print(version)
    return 0


def _training_data(path: Path | None, field: str, *, corrections: bool) -> Labelled:
    """The rows of ``path`` (if given) and, with ``corrections``, the staff corrections."""
    from plaint.classifier.jsonl import Labelled, read_labelled

    data = Labelled()
    if path is not None:
        data = read_labelled(path, field)
        _report_skipped(data, field)
    if corrections:
        fixed = _corrections(field)
        print(f"plaint: {len(fixed)} staff corrections of {field!r}", file=sys.stderr)
        data.texts.extend(text for text, _ in fixed)
        data.labels.extend(label for _, label in fixed)
    return data


def _corrections(field: str) -> list[tuple[str, str]]:
    from plaint.cli.common import open_db
    from plaint.service.corrections import corrections

    with open_db() as (sessions, _config), sessions() as session:
        return corrections(session, field=field)


def _eval_classifier(args: argparse.Namespace) -> int:
    """Print the model's scores on the file; ConfigError on bad input or a bad model."""
    from plaint.classifier.evaluate import evaluate
    from plaint.classifier.jsonl import read_labelled
    from plaint.classifier.textmodel import load_model
    from plaint.cli.output import print_json, print_table

    model = load_model(args.model)
    field = args.label_field or model.info.label_field
    data = read_labelled(args.data, field)
    _report_skipped(data, field)
    result = evaluate(data.labels, [p.label for p in model.predict(data.texts)])
    if args.json:
        print_json({"n": result.n, "skipped": len(data.skipped), **result.as_dict(),
                    "model_version": model.info.version, "label_field": field})  # fmt: skip
        return 0
    print(f"model {model.info.version} ({field}) on {result.n} rows"
          f" ({len(data.skipped)} skipped)\n"
          f"accuracy  {result.accuracy:.4f}\nmacro-F1  {result.macro_f1:.4f}\n")  # fmt: skip
    rows = [
        [label, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}", str(s.support)]
        for label, s in result.per_label.items()
    ]
    print_table(["label", "precision", "recall", "f1", "support"], rows)
    return 0


def _report_skipped(data: Labelled, field: str) -> None:
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
    from plaint.classifier.textmodel import load_model
    from plaint.cli.output import print_json
    from plaint.config import load_config, load_settings
    from plaint.service.classification import classify_texts

    if (args.text is None) == (args.batch is None):
        raise ConfigError("give either TEXT or --batch FILE.jsonl")
    taxonomy = load_config(load_settings(os.environ).config_path).taxonomy
    model = load_model(args.model) if args.model is not None else None
    if args.batch is not None:
        return _classify_batch(args.batch, taxonomy=taxonomy, model=model, as_json=args.json)
    [decision] = classify_texts([args.text], taxonomy=taxonomy, model=model)
    if args.json:
        print_json(_result(decision))
    else:
        print(_result_text(_result(decision)))
    return 0


def _classify_batch(
    path: Path, *, taxonomy: Taxonomy, model: TextModel | None, as_json: bool
) -> int:
    from plaint.classifier.jsonl import count_rows, jsonl_rows
    from plaint.cli.output import print_json, row_progress

    errors: list[str] = []
    table: list[dict[str, Any]] = []
    stdin = str(path) == "-"
    rows = jsonl_rows(sys.stdin.buffer if stdin else path)
    with row_progress("classifying", total=lambda: None if stdin else count_rows(path)) as advance:
        while chunk := list(itertools.islice(rows, _BATCH_CHUNK)):
            results = _classify_chunk(chunk, taxonomy, model, errors)
            if as_json:
                for result in results:
                    print_json(result)
            else:
                table.extend(results)
            advance(len(chunk))
    if not as_json:
        _print_batch_table(table)
    for message in errors[:_MAX_ERRORS_REPEATED]:
        print(f"plaint: error: {path}:{message}", file=sys.stderr)
    if len(errors) > _MAX_ERRORS_REPEATED:
        print(f"plaint: error: … and {len(errors) - _MAX_ERRORS_REPEATED} more", file=sys.stderr)
    return EXIT_BAD_INPUT if errors else 0


def _classify_chunk(
    chunk: Sequence[JsonlRow], taxonomy: Taxonomy, model: TextModel | None, errors: list[str]
) -> list[dict[str, Any]]:
    """Return one result per row of ``chunk``; bad rows become ``error`` objects."""
    from plaint.service.classification import classify_texts

    texts = {
        line: row["text"]
        for line, row, _ in chunk
        if row is not None and isinstance(row.get("text"), str)
    }
    decided = classify_texts(list(texts.values()), taxonomy=taxonomy, model=model)
    decisions = dict(zip(texts, decided, strict=True))
    results = []
    for line, _row, problem in chunk:
        if line in decisions:
            results.append({"line": line, **_result(decisions[line])})
            continue
        problem = problem or "the row has no string 'text' field"
        errors.append(f"{line}: {problem}")
        results.append({"line": line, "error": problem})
    return results


def _result(decision: Decision) -> dict[str, Any]:
    from plaint.pipeline.combine import MODEL_FIELDS

    final = decision.result
    result: dict[str, Any] = {name: getattr(final, name) for name in MODEL_FIELDS}
    result.update(confidence=final.confidence, rules=list(final.rules), source=decision.source)
    if (opinion := decision.opinion) is not None:
        result["model"] = {
            "version": opinion.version,
            "field": opinion.field,
            "label": opinion.label,
            "confidence": round(opinion.confidence, 2),
        }
    return result


def _result_text(result: dict[str, Any]) -> str:
    from plaint.pipeline.combine import MODEL_FIELDS

    lines = [f"{name:<11} {result[name]}" for name in MODEL_FIELDS]
    lines.append(f"{'confidence':<11} {result['confidence']:.2f} (from {result['source']})")
    lines.append(f"{'rules':<11} {', '.join(result['rules']) or '(none fired)'}")
    if "model" in result:
        m = result["model"]
        lines.append(
            f"{'model':<11} {m['version']}: {m['field']} = {m['label']} ({m['confidence']:.2f})"
        )
    return "\n".join(lines)


def _print_batch_table(results: list[dict[str, Any]]) -> None:
    from plaint.cli.output import print_table

    headers = ["line", "department", "sub_topic", "urgency", "validity", "confidence", "rules"]
    rows = []
    for r in results:
        if "error" in r:
            rows.append([str(r["line"]), "error: " + r["error"], "", "", "", "", ""])
            continue
        cells = [r["department"], r["sub_topic"], r["urgency"], r["validity"]]
        rows.append([str(r["line"]), *cells, f"{r['confidence']:.2f}", ",".join(r["rules"])])
    print_table(headers, rows)
