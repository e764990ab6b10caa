"""Labelled and unlabelled complaint texts in JSON Lines, as ``plaint train``, ``plaint
eval classifier`` and ``plaint classify --batch`` read them.

One JSON object per line; blank lines are ignored and lines are counted from 1 (a UTF-8
byte-order mark on the first line is dropped). A label field may be a dotted path into the
row, with numbers indexing lists: ``department``, ``category.0`` (the first element of
``category``), ``extra.queue``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from plaint.errors import ConfigError

__all__ = ["JsonlRow", "Labelled", "count_rows", "jsonl_rows", "label_at", "read_labelled"]


class JsonlRow(NamedTuple):
    """One non-blank line: its number and object, or its number and what is wrong with it
    (``row`` is then ``None``)."""

    line: int
    row: dict[str, Any] | None
    problem: str | None


@dataclass(frozen=True)
class Labelled:
    """The usable rows of a labelled file, and the line numbers of the skipped ones."""

    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)


def jsonl_rows(source: Path | BinaryIO) -> Iterator[JsonlRow]:
    """Yield one JsonlRow per non-blank line of the file at ``source`` (or of an open
    binary handle), in order. A line that is not UTF-8, not JSON or not an object is
    yielded with its problem, not raised. Raises ConfigError if the file cannot be opened."""
    if not isinstance(source, Path):
        yield from _parse_lines(source)
        return
    try:
        handle = source.open("rb")
    except OSError as exc:
        raise ConfigError(f"cannot read {source}: {exc.strerror}") from exc
    with handle:
        yield from _parse_lines(handle)


def count_rows(path: Path) -> int | None:
    """Return how many non-blank lines ``path`` has (what :func:`jsonl_rows` will yield),
    or ``None`` if it cannot be read."""
    try:
        with path.open("rb") as handle:
            return sum(1 for line in handle if line.strip())
    except OSError:
        return None


def _parse_lines(handle: BinaryIO) -> Iterator[JsonlRow]:
    for number, raw in enumerate(handle, start=1):
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            yield JsonlRow(number, None, "the line is not UTF-8")
            continue
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield JsonlRow(number, None, f"not valid JSON ({exc.msg}, column {exc.colno})")
            continue
        if not isinstance(row, dict):
            yield JsonlRow(number, None, f"expected a JSON object, got {type(row).__name__}")
            continue
        yield JsonlRow(number, row, None)


def read_labelled(path: Path, label_field: str) -> Labelled:
    """Return the rows of ``path`` with a string ``text`` and a non-empty label at
    ``label_field``; rows without either are skipped (their line numbers kept). Raises
    ConfigError naming the file and line for a line that is not a JSON object or a label
    that is a list or an object, and when the file cannot be opened."""
    data = Labelled()
    for number, row, problem in jsonl_rows(path):
        if row is None:
            raise ConfigError(f"{path}:{number}: {problem}")
        text = row.get("text")
        label = label_at(row, label_field, where=f"{path}:{number}")
        if isinstance(text, str) and label is not None:
            data.texts.append(text)
            data.labels.append(label)
        else:
            data.skipped.append(number)
    return data


def label_at(row: dict[str, Any], label_field: str, *, where: str) -> str | None:
    """Return the label at the dotted ``label_field`` of ``row``, stripped; ``None`` if it
    is missing, empty or a boolean. Raises ConfigError (prefixed ``where``) when it is a
    list or an object."""
    value: Any = row
    for part in label_field.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit():
            value = value[int(part)] if int(part) < len(value) else None
        else:
            return None
    if isinstance(value, list | dict):
        hint = f"; name an element, e.g. '{label_field}.0'" if isinstance(value, list) else ""
        raise ConfigError(
            f"{where}: {label_field!r} is a {type(value).__name__}, not a label{hint}"
        )
    if value is None or isinstance(value, bool) or str(value).strip() == "":
        return None
    return str(value).strip()
