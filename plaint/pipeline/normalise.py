"""Normalising a message's text before it is classified and stored."""

from __future__ import annotations

import re
import unicodedata

from plaint.pipeline.replies import visible_reply

__all__ = ["complaint_text", "strip_quoted"]

_SPACES = re.compile(r"[ \t\u3000]+")
_BLANK_RUNS = re.compile(r"\n{3,}")


def strip_quoted(body: str) -> str:
    """Return ``body`` without quoted history, inline ``>`` quotes and a signature (see
    :func:`plaint.pipeline.replies.visible_reply`)."""
    visible = visible_reply(body)
    return "\n".join(line for line in visible.splitlines() if not line.lstrip().startswith(">"))


def complaint_text(*, subject: str, body: str) -> str:
    """Return the text a complaint is judged by: NFKC-normalised subject and body with
    quoted history removed, runs of spaces folded, surrounding blank lines trimmed."""
    parts = [subject.strip(), strip_quoted(body).strip()]
    text = "\n".join(p for p in parts if p)
    text = unicodedata.normalize("NFKC", text)
    text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return _BLANK_RUNS.sub("\n\n", text).strip()
