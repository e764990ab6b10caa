"""The reply-stripping fixtures of ``reply-stripping/``: bodies (``.txt``), HTML replies and
raw mails, each with the visible text expected after stripping.

A case is *exact* when the fixture states the whole visible text (``visible_reply``,
``visible_text_nows``, ``first_fragment_trimmed``/``visible_text_trimmed``); the others
state a prefix, contained or absent phrases.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["ReplyCase", "reply_cases"]


@dataclass(frozen=True)
class ReplyCase:
    """A fixture at ``path`` (``kind`` is ``text``, ``html`` or ``mail``) and what its
    visible text must satisfy: ``equal`` (after strip), ``equal_nows`` (ignoring all
    whitespace), ``startswith``, ``contains``, ``absent``."""

    path: Path
    kind: str
    equal: str | None = None
    equal_nows: str | None = None
    startswith: str | None = None
    contains: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()

    @property
    def exact(self) -> bool:
        """Whether the fixture states the whole visible text."""
        return self.equal is not None or self.equal_nows is not None


def _kind(path: Path) -> str:
    return {".html": "html", ".eml": "mail", ".raw": "mail"}.get(path.suffix, "text")


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return ()


def _load(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    return dict(json.loads(path.read_text("utf-8")))


def _email_reply_parser(folder: Path, name: str, record: dict[str, Any]) -> ReplyCase:
    return ReplyCase(
        folder / name, "text",
        equal=record.get("visible_reply"),
        startswith=record.get("visible_reply_startswith"),
        contains=_strings(record.get("visible_reply_contains")),
        absent=_strings(record.get("visible_reply_not_contains")),
    )  # fmt: skip


def _crisp(folder: Path, name: str, record: dict[str, Any], common: str) -> ReplyCase:
    equal = record.get("visible_text_trimmed") or record.get("first_fragment_trimmed")
    if equal == "<COMMON_FIRST_FRAGMENT>":
        equal = common
    visible = record.get("visible_text")
    if equal is None and isinstance(visible, str):
        equal = visible
    return ReplyCase(folder / name, "text", equal=equal if isinstance(equal, str) else None)


def _talon(folder: Path, name: str, record: dict[str, Any]) -> ReplyCase:
    return ReplyCase(
        folder / name, _kind(folder / name),
        equal=record.get("visible_reply"),
        equal_nows=record.get("visible_text_nows"),
        absent=_strings(record.get("visible_reply_not_contains")),
    )  # fmt: skip


def _mail_parser_reply(folder: Path, name: str, record: dict[str, Any]) -> ReplyCase:
    first = (record.get("replies") or [{}])[0]
    return ReplyCase(
        folder / name, "text",
        contains=_strings(first.get("body_contains")),
        absent=_strings(first.get("body_not_contains")),
    )  # fmt: skip


def reply_cases(folder: Path) -> dict[str, list[ReplyCase]]:
    """Sub-corpus name (``reply-stripping/talon`` …) → its cases whose fixture exists."""
    found: dict[str, list[ReplyCase]] = {}
    for sub in ("email_reply_parser", "crisp-multilingual", "talon", "mail-parser-reply"):
        data = _load(folder / sub / "expected.json")
        common = str(data.get("_COMMON_FIRST_FRAGMENT", ""))
        cases = []
        for name, record in data.items():
            if name.startswith("_") or not isinstance(record, dict):
                continue
            if sub == "email_reply_parser":
                case = _email_reply_parser(folder / sub, name, record)
            elif sub == "crisp-multilingual":
                case = _crisp(folder / sub, name, record, common)
            elif sub == "talon":
                case = _talon(folder / sub, name, record)
            else:
                case = _mail_parser_reply(folder / sub, name, record)
            has_claim = case.exact or case.startswith or case.contains or case.absent
            if case.path.is_file() and has_claim:
                cases.append(case)
        if cases:
            found[f"reply-stripping/{sub}"] = cases
    return found
