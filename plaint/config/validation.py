"""Validation of the TOML business configuration with pydantic, and its error messages.

Every table of the file is a :class:`Table` model: unknown keys are refused
(``extra="forbid"``), types are strict (``"5"`` is not a number, ``1`` is not ``true``) and
ranges are part of the field types. :func:`validate` turns pydantic's errors into one line
each, naming the full path of the key the way the TOML file spells it::

    routing.review_treshold: unknown key; did you mean review_threshold?
    sources[0].port: must be an integer, got 'x'

The shared field types below keep each rule in one place. Cross-references (a department
code or sub-topic that must exist) read the codes the file defines from the validation
context built by :func:`references`; without a context they are not checked.
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Annotated, Any, Literal, Self, TypeVar, Union, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

from plaint.errors import ConfigError
from plaint.pipeline.calendar import parse_working_hours
from plaint.pipeline.quiet import parse_quiet_hours

__all__ = [
    "CategoryRef",
    "DateValue",
    "DepartmentRef",
    "Fraction",
    "Level",
    "MatchTable",
    "PositiveNumber",
    "QuietHoursText",
    "Scope",
    "SubTopicRef",
    "Table",
    "Text",
    "TimeZoneName",
    "Urgency",
    "WorkingHoursText",
    "key_error",
    "load_zone",
    "matching",
    "references",
    "validate",
]

Model = TypeVar("Model", bound=BaseModel)


class Table(BaseModel):
    """A table of the TOML file: unknown keys refused, strict types, immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class MatchTable(Table):
    """A table of conditions (a rule's ``match``), of which at least one must be given."""

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if not self.model_dump(exclude_none=True):
            raise ValueError(f"give one or more of {', '.join(type(self).model_fields)}")
        return self


def key_error(message: str, *keys: str | int) -> PydanticCustomError:
    """An error a validator raises about a key inside the value it checks, reported as
    ``path.key: message`` (``keys`` may go several levels down: ``0, "name"``).
    ``message`` is taken literally (no ``{}`` formatting)."""
    return PydanticCustomError("invalid_key", "{message}", {"keys": keys, "message": message})


def _checked(check: Callable[[str], object]) -> Callable[[str], str]:
    """Turn a parser that raises ConfigError into a validator pydantic reports."""

    def validator(value: str) -> str:
        try:
            check(value)
        except ConfigError as exc:
            raise ValueError(str(exc)) from exc
        return value

    return validator


def load_zone(name: str) -> ZoneInfo:
    """Return the IANA time zone ``name``; raise ConfigError if it is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"unknown time zone {name!r} (expected e.g. Asia/Shanghai)") from exc


def _iso_date(value: object) -> object:
    if isinstance(value, datetime):
        raise ValueError(f"{value.isoformat()} is a date and time, not a date YYYY-MM-DD")
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a date YYYY-MM-DD") from None
    return value


def _reference(kind: str, label: str) -> Callable[[str, ValidationInfo], str]:
    def validator(value: str, info: ValidationInfo) -> str:
        known = (info.context or {}).get(kind)
        if known is not None and value not in known:
            hint = _suggestion(value, known, listing="known")
            raise ValueError(f"{value!r} is not {label}{hint}")
        return value

    return validator


def matching(pattern: str, description: str) -> AfterValidator:
    """A validator that accepts strings matching ``pattern`` (whole) and otherwise says
    the value must be ``description``."""
    compiled = re.compile(pattern)

    def validator(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"must be {description}, got {value!r}")
        return value

    return AfterValidator(validator)


Text = Annotated[str, Field(min_length=1)]
PositiveNumber = Annotated[float, Field(gt=0)]
Fraction = Annotated[float, Field(gt=0, le=1)]
Level = Annotated[int, Field(ge=1, le=2)]
Scope = Annotated[int, Field(ge=1, le=3)]
Urgency = Literal["normal", "emergency"]
TimeZoneName = Annotated[str, AfterValidator(_checked(load_zone))]
WorkingHoursText = Annotated[str, AfterValidator(_checked(parse_working_hours))]
QuietHoursText = Annotated[str, AfterValidator(_checked(parse_quiet_hours))]
DateValue = Annotated[date, BeforeValidator(_iso_date)]
DepartmentRef = Annotated[str, AfterValidator(_reference("departments", "a department code"))]
SubTopicRef = Annotated[str, AfterValidator(_reference("sub_topics", "in taxonomy.sub_topics"))]
CategoryRef = Annotated[
    str, AfterValidator(_reference("categories", "a category of taxonomy.sub_topics"))
]


def references(data: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """The codes other tables may refer to, read from the raw file ``data``: department
    codes, sub-topic codes and categories. A part that is malformed is left out (its own
    error is reported), so references to it are not checked."""
    context: dict[str, frozenset[str]] = {}
    departments = data.get("departments")
    if isinstance(departments, list):
        context["departments"] = frozenset(
            d["code"] for d in departments if isinstance(d, dict) and isinstance(d.get("code"), str)
        )
    taxonomy = data.get("taxonomy")
    sub_topics = taxonomy.get("sub_topics") if isinstance(taxonomy, dict) else None
    if isinstance(sub_topics, dict):
        context["sub_topics"] = frozenset(sub_topics)
        context["categories"] = frozenset(
            entry["category"]
            for entry in sub_topics.values()
            if isinstance(entry, dict) and isinstance(entry.get("category"), str)
        )
    return context


def validate(
    model: type[Model],
    data: Mapping[str, Any],
    *,
    where: Sequence[str | int] = (),
    context: Mapping[str, Any] | None = None,
) -> Model:
    """Validate ``data`` as ``model``; ``where`` is the path of ``data`` in the file.

    Raises ConfigError whose message has one line per problem, each naming the full path.
    """
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        lines = _lines(model, exc.errors(), tuple(where))
        raise ConfigError("\n".join(lines)) from None


def _lines(model: type[BaseModel], errors: list[Any], where: tuple[str | int, ...]) -> list[str]:
    # A required key given under a misspelt name is one problem, not two: the unknown
    # key's line names it, so its "required key is missing" line is left out.
    misspelt = {
        (*error["loc"][:-1], near)
        for error in errors
        if error["type"] == "extra_forbidden"
        and (near := _nearest(str(error["loc"][-1]), _keys_at(model, error["loc"][:-1])))
    }
    lines = list(
        dict.fromkeys(
            _line(model, error, where)
            for error in errors
            if not (error["type"] == "missing" and tuple(error["loc"]) in misspelt)
        )
    )
    if len(lines) > _REPORTED:
        lines = [*lines[:_REPORTED], f"... and {len(lines) - _REPORTED} more problems"]
    return lines


_REPORTED = 20  # problems reported at once; the rest are counted


def _line(model: type[BaseModel], error: Any, where: tuple[str | int, ...]) -> str:
    loc = tuple(part for part in error["loc"] if part != "[key]")
    ctx = error.get("ctx") or {}
    kind = error["type"]
    if kind == "extra_forbidden":
        keys = _keys_at(model, loc[:-1])
        message = f"unknown key{_suggestion(str(loc[-1]), keys, listing='valid keys')}"
    elif kind == "invalid_key":
        loc, message = (*loc, *ctx["keys"]), ctx["message"]
    elif kind == "value_error":
        message = str(ctx["error"])
    elif kind in ("too_short", "string_too_short"):
        least = ctx.get("min_length", 1)
        message = "must not be empty" if least == 1 else f"must have at least {least} items"
    else:
        message = _MESSAGES.get(kind) or _plain(error["msg"])
        if kind != "missing":
            message += _shown(error.get("input"))
    path = _path((*where, *loc))
    return f"{path}: {message}" if path else message


def _nearest(word: str, choices: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, sorted(choices), n=1)
    return close[0] if close else None


def _suggestion(word: str, choices: Iterable[str], *, listing: str) -> str:
    """``; did you mean X?`` for the nearest choice, else ``; {listing}: A, B, ...``."""
    options = sorted(choices)
    near = _nearest(word, options)
    if near is not None:
        return f"; did you mean {near}?"
    if not options:
        return ""
    shown = options[:_LISTED] + (["..."] if len(options) > _LISTED else [])
    return f"; {listing}: {', '.join(shown)}"


_LISTED = 12  # choices listed when none is near a misspelt word


_MESSAGES = {
    "missing": "required key is missing",
    "model_type": "must be a table",
    "model_attributes_type": "must be a table",
    "dict_type": "must be a table",
    "list_type": "must be an array",
    "string_type": "must be a string",
    "int_type": "must be an integer",
    "float_type": "must be a number",
    "bool_type": "must be true or false",
    "date_type": "must be a date YYYY-MM-DD",
}


def _plain(message: str) -> str:
    """pydantic's "Input should be greater than 0" as "must be greater than 0"."""
    if message.startswith("Input should "):
        return "must " + message.removeprefix("Input should ")
    return message[:1].lower() + message[1:]


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return f", got {str(value).lower()}"
    if isinstance(value, str | int | float):
        return f", got {value!r}"
    if isinstance(value, date):
        return f", got {value.isoformat()}"
    if isinstance(value, dict):
        return ", got a table"
    if isinstance(value, list):
        return ", got an array"
    return ""


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _path(loc: tuple[str | int, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
            continue
        key = part if _BARE_KEY.fullmatch(part) else f'"{part}"'
        text += f".{key}" if text else key
    return text


def _keys_at(model: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    """The keys the table at ``loc`` (relative to ``model``) may hold."""
    annotation: Any = model
    for part in loc:
        table = _as_model(annotation)
        if table is not None:
            field = table.model_fields.get(str(part))
            if field is None:
                return []
            annotation = field.annotation
        else:
            args = get_args(_unwrap(annotation))
            if not args:
                return []
            annotation = args[-1]  # list[X] -> X, dict[K, X] -> X
    table = _as_model(annotation)
    return list(table.model_fields) if table is not None else []


def _unwrap(annotation: Any) -> Any:
    """Strip ``Annotated`` and ``| None`` from ``annotation``."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _unwrap(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        members = [a for a in get_args(annotation) if a is not type(None)]
        return _unwrap(members[0]) if len(members) == 1 else annotation
    return annotation


def _as_model(annotation: Any) -> type[BaseModel] | None:
    candidate = _unwrap(annotation)
    if isinstance(candidate, type) and issubclass(candidate, BaseModel):
        return candidate
    return None
