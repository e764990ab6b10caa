"""Comparing what the parser produced with what a corpus expects."""

from __future__ import annotations

import difflib
import email
import email.policy
import re
import unicodedata
from typing import Any

from plaint.channels.email.charsets import decode_bytes
from plaint.channels.email.mime import html_to_text
from plaint.channels.email.parse import ParsedMail
from plaint.pipeline.replies import visible_reply
from plaint.service.emailcorpus.expectations import Check
from plaint.service.emailcorpus.replycases import ReplyCase

__all__ = ["check_passes", "normalise", "reply_passes", "similar"]

SIMILARITY = 0.9
# Longer texts are compared on their first characters only (difflib is quadratic).
_MAX_COMPARED = 20_000
_WHITESPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """NFKC, whitespace folded to single spaces, stripped."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def similar(got: str, expected: str) -> bool:
    """Whether ``got`` and ``expected`` are at least 90 % alike after normalising."""
    a, b = normalise(got)[:_MAX_COMPARED], normalise(expected)[:_MAX_COMPARED]
    if a == b:
        return True
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return matcher.quick_ratio() >= SIMILARITY and matcher.ratio() >= SIMILARITY


def _value(field: str, parsed: ParsedMail) -> Any:
    if field == "attachments":
        return {f.sha256 for f in parsed.files}
    if field in ("automatic", "ordinary"):
        return parsed.automatic is not None
    return {
        "from": parsed.sender, "from_name": parsed.sender_name, "subject": parsed.subject,
        "to": set(parsed.to), "cc": set(parsed.cc), "body": parsed.body,
    }[field]  # fmt: skip


def check_passes(field: str, check: Check, parsed: ParsedMail | None) -> bool:
    """Whether ``parsed`` (``None``: refused as malformed) meets ``check`` on ``field``.
    A refused mail passes only an ``ordinary: false``-free check: it opens nothing."""
    if parsed is None:
        return field == "automatic"
    got = _value(field, parsed)
    if check.how == "true":
        return bool(got) == bool(check.value)
    if check.how == "set":
        return bool(got == set(check.value))
    if check.how == "subset":
        return bool(set(check.value) <= got)
    if check.how == "similar":
        return similar(str(got), str(check.value))
    if check.how == "contains":
        return normalise(str(check.value)) in normalise(str(got))
    if check.how == "startswith":
        return normalise(str(got)).startswith(normalise(str(check.value)))
    return normalise(str(got)) == normalise(str(check.value))


def _first_plain(raw: bytes) -> str:
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    for part in message.walk():
        if part.get_content_type() == "text/plain" and not part.is_multipart():
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return decode_bytes(payload, part.get_content_charset())
    return ""


def _visible(case: ReplyCase) -> str:
    data = case.path.read_bytes()
    if case.kind == "html":
        return visible_reply(html_to_text(decode_bytes(data, "utf-8")))
    if case.kind == "mail":
        return visible_reply(_first_plain(data))
    return visible_reply(decode_bytes(data, "utf-8"))


def reply_passes(case: ReplyCase) -> bool:
    """Whether the visible text of the fixture meets every claim of ``case``."""
    got = _visible(case)
    if case.equal is not None and got.strip() != case.equal.strip():
        return False
    if case.equal_nows is not None and "".join(got.split()) != "".join(case.equal_nows.split()):
        return False
    if case.startswith is not None and not got.startswith(case.startswith):
        return False
    if any(phrase not in got for phrase in case.contains):
        return False
    return not any(phrase in got for phrase in case.absent)
