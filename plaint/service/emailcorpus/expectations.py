"""Reading the expected results of a folder laid out like ``../shared/eval/email-corpus``.

Each corpus folder has its own format (see the corpus README); this module turns each into
the same shape: for one raw mail, a mapping field → :class:`Check`. A corpus whose folder
or expectation file is missing gives nothing; an expectation whose raw file is missing is
skipped, so a partial copy of the layout scores what it holds.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import getaddresses
from pathlib import Path
from typing import Any

__all__ = ["MAIL_SUFFIXES", "Check", "Expectation", "expectations", "mail_files"]

# Suffixes of raw messages in the corpora (bodies-only fixtures are .txt/.html).
MAIL_SUFFIXES = (".eml", ".box", ".raw")


@dataclass(frozen=True)
class Check:
    """One expectation: ``how`` is ``equal``, ``set``, ``similar``, ``contains``,
    ``startswith``, ``subset`` or ``true``; ``value`` is what is expected."""

    how: str
    value: Any


@dataclass(frozen=True)
class Expectation:
    """The checks on the raw mail at ``path``."""

    path: Path
    checks: dict[str, Check]


def mail_files(folder: Path) -> list[Path]:
    """Every raw message under ``folder``, sorted."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in MAIL_SUFFIXES)


def _load_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data = json.loads(path.read_text("utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_") and isinstance(v, dict)}


def _load_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    lines = path.read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _address_set(value: Any) -> set[str]:
    if isinstance(value, list):
        return {str(v).lower() for v in value if v}
    if not value:
        return set()
    return {a.lower() for _, a in getaddresses([str(value)]) if a}


def _zammad(folder: Path) -> Iterator[Expectation]:
    for record in _load_jsonl(folder / "expected.jsonl"):
        checks = {
            "from": Check("equal", str(record.get("from_email") or "").lower()),
            "from_name": Check("equal", record.get("from_display_name") or ""),
            "subject": Check("equal", record.get("subject") or ""),
            "to": Check("set", _address_set(record.get("to"))),
            "cc": Check("set", _address_set(record.get("cc"))),
        }
        if record.get("content_type") == "text/plain" and record.get("body"):
            checks["body"] = Check("similar", record["body"])
        hashes = {a["sha256"] for a in record.get("attachments") or []
                  if not (a.get("preferences") or {}).get("content-alternative")}  # fmt: skip
        if hashes:
            checks["attachments"] = Check("subset", hashes)
        yield Expectation(folder / record["raw"], checks)


def _imap_tools(folder: Path) -> Iterator[Expectation]:
    for record in _load_jsonl(folder / "expected.jsonl"):
        sender = record.get("from_values") or {}
        checks = {
            "from": Check("equal", str(record.get("from_") or "").lower()),
            "from_name": Check("equal", (sender or {}).get("name", "") if sender else ""),
            "subject": Check("equal", record.get("subject") or ""),
            "to": Check("set", _address_set(record.get("to"))),
            "cc": Check("set", _address_set(record.get("cc"))),
        }
        if record.get("text"):
            checks["body"] = Check("similar", record["text"])
        hashes = {a["sha256"] for a in record.get("attachments") or [] if a.get("sha256")}
        if hashes:
            checks["attachments"] = Check("subset", hashes)
        # Undecodable bytes kept upstream (surrogates, U+FFFD) make no claim to compare.
        checks = {k: c for k, c in checks.items() if not _has_surrogates(c.value)}
        yield Expectation(folder / record["raw"], checks)


def _has_surrogates(value: Any) -> bool:
    return isinstance(value, str) and any(
        "\ud800" <= ch <= "\udfff" or ch == "\ufffd" for ch in value
    )


def _loop_label(automatic: bool) -> dict[str, Check]:
    return {"automatic" if automatic else "ordinary": Check("true", automatic)}


def _sisimai(folder: Path) -> Iterator[Expectation]:
    for path, record in _load_json(folder / "expected.json").items():
        yield Expectation(folder / path, _loop_label(record.get("kind") != "not-bounce"))


def _flanker(folder: Path) -> Iterator[Expectation]:
    for path, record in _load_json(folder / "expected.json").items():
        checks = _loop_label(bool(record.get("loop_prevention")))
        if isinstance(record.get("subject"), str):
            checks["subject"] = Check("equal", record["subject"])
        if isinstance(record.get("from_display_name_decoded"), str):
            checks["from_name"] = Check("equal", record["from_display_name_decoded"])
        yield Expectation(folder / path, checks)


def _watchdog(folder: Path) -> Iterator[Expectation]:
    for path, record in _load_json(folder / "expected.json").items():
        checks = _loop_label(bool(record.get("loop_prevention")))
        upstream = record.get("upstream_expects") or {}
        if isinstance(upstream.get("text_content_contains"), str):
            checks["body"] = Check("contains", upstream["text_content_contains"])
        yield Expectation(folder / path, checks)


def _kopano(folder: Path) -> Iterator[Expectation]:
    for path, record in _load_json(folder / "expected.json").items():
        expects = record.get("kopano_expects") or {}
        checks: dict[str, Check] = {}
        subject = record.get("curator_reference_subject") or expects.get("subject")
        if isinstance(subject, str):
            checks["subject"] = Check("equal", subject)
        if isinstance(expects.get("sender_name"), str):
            checks["from_name"] = Check("equal", expects["sender_name"])
        if isinstance(expects.get("body"), str):
            checks["body"] = Check("similar", expects["body"])
        elif isinstance(expects.get("body_contains"), str):
            checks["body"] = Check("contains", expects["body_contains"])
        yield Expectation(folder / path, checks)


def _enmime(folder: Path) -> Iterator[Expectation]:
    for path, record in _load_json(folder / "expected.json").items():
        checks: dict[str, Check] = {}
        if isinstance(record.get("subject"), str):
            checks["subject"] = Check("equal", record["subject"])
        text = record.get("text") or record.get("text_trimmed")
        if isinstance(text, str):
            checks["body"] = Check("similar", text)
        elif isinstance(record.get("curator_decoded_text_startswith"), str):
            checks["body"] = Check("startswith", record["curator_decoded_text_startswith"])
        yield Expectation(folder / path, checks)


def _mail_parser(folder: Path) -> Iterator[Expectation]:
    for path, record in _load_json(folder / "expected.json").items():
        checks: dict[str, Check] = {}
        subject = record.get("curator_subject") or record.get("curator_subject_gb18030")
        if isinstance(subject, str):
            checks["subject"] = Check("startswith", subject)
        if isinstance(record.get("curator_from_display_name"), str):
            checks["from_name"] = Check("equal", record["curator_from_display_name"])
        if isinstance(record.get("curator_body_startswith"), str):
            checks["body"] = Check("startswith", record["curator_body_startswith"])
        yield Expectation(folder / path, checks)


READERS: dict[str, Callable[[Path], Iterator[Expectation]]] = {
    "zammad": _zammad,
    "imap_tools": _imap_tools,
    "sisimai-bounces": _sisimai,
    "flanker": _flanker,
    "watchdog-autoreply": _watchdog,
    "kopano-charsets": _kopano,
    "enmime": _enmime,
    "mail-parser": _mail_parser,
}


def expectations(corpus: str, folder: Path) -> list[Expectation]:
    """The expectations of ``corpus`` whose raw mail exists under ``folder``."""
    reader = READERS.get(corpus)
    if reader is None:
        return []
    return [e for e in reader(folder) if e.path.is_file()]
