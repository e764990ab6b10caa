"""Normalising a message's text before it is classified and stored."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["complaint_text", "strip_quoted"]

# Lines that start the quoted history of a reply, in the clients residents use.
_QUOTE_HEADERS = re.compile(
    r"^(?:-{2,}\s*(?:原始邮件|Original Message|Forwarded message)\s*-{2,}"
    r"|On .{3,200}wrote:\s*$"
    r"|在 .{3,200}写道[:：]\s*$"
    r"|发件人[:：].*$"
    r"|From: .*$)",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(r"^(?:-- ?|发自我的\S+|Sent from my \S+.*)$", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\u3000]+")
_BLANK_RUNS = re.compile(r"\n{3,}")


def strip_quoted(body: str) -> str:
    """Return ``body`` without quoted history (``>`` lines and what follows a reply header)
    and without a trailing signature."""
    kept: list[str] = []
    for line in body.splitlines():
        stripped = line.strip()
        if _QUOTE_HEADERS.match(stripped) or _SIGNATURE.match(stripped):
            break
        if stripped.startswith(">"):
            continue
        kept.append(line)
    return "\n".join(kept)


def complaint_text(*, subject: str, body: str) -> str:
    """Return the text a complaint is judged by: NFKC-normalised subject and body with
    quoted history removed, runs of spaces folded, surrounding blank lines trimmed."""
    parts = [subject.strip(), strip_quoted(body).strip()]
    text = "\n".join(p for p in parts if p)
    text = unicodedata.normalize("NFKC", text)
    text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return _BLANK_RUNS.sub("\n\n", text).strip()
