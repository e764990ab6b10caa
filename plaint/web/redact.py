"""Keep secrets in URLs out of the access log.

uvicorn logs every request's path and query on the ``uvicorn.access`` logger. Two kinds of
URL carry a secret there: a public notice's share link (``/public/notices/{token}``) and a
one-time sign-in link (``/signin?token=…``). :class:`RedactUrlSecrets` replaces the
secret with ``…`` before any handler formats the line, so the log shows that a link was
used, never which token.
"""

from __future__ import annotations

import logging
import re

__all__ = ["ACCESS_LOGGER", "RedactUrlSecrets", "install_redaction", "redact"]

ACCESS_LOGGER = "uvicorn.access"
_SECRETS = (
    (re.compile(r"(/public/notices/)[^/?#\s\"]+"), r"\1…"),
    (re.compile(r"([?&]token=)[^&#\s\"]+"), r"\1…"),
)


def redact(text: str) -> str:
    """``text`` with every share-link token and ``token=`` query value replaced by ``…``."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class RedactUrlSecrets(logging.Filter):
    """A filter that redacts (:func:`redact`) the string arguments and the message of
    each record; it never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def install_redaction(logger_name: str = ACCESS_LOGGER) -> None:
    """Add :class:`RedactUrlSecrets` to logger ``logger_name`` once (again: no-op)."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, RedactUrlSecrets) for f in logger.filters):
        logger.addFilter(RedactUrlSecrets())
