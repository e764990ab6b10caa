"""One log format for every line a plaint process writes: plaint's own, dramatiq's,
uvicorn's and SQLAlchemy's all propagate to the root logger, whose one handler is set here.

``text`` (the default) is for people: ``time level logger: message``. ``json`` is for log
collectors: one JSON object a line with the keys :data:`JSON_KEYS` (and ``exc_info`` when a
traceback is attached). Messages carry ids, never personal data (plaint's habit), and the
:class:`~plaint.workers.logfilter.DatabaseErrorRedactor` strips database and provider error
texts before any formatter sees them.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

from plaint.workers.logfilter import DatabaseErrorRedactor

__all__ = ["JSON_KEYS", "TEXT_FORMAT", "configure", "formatter"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# The keys of a JSON line, in order (``exc_info`` is added when a traceback is attached).
JSON_KEYS = ("time", "level", "logger", "process", "message")
_JSON_FIELDS = ("asctime", "levelname", "name", "process", "message")
_RENAMED = {"asctime": "time", "levelname": "level", "name": "logger"}


def formatter(log_format: str) -> logging.Formatter:
    """The formatter of ``log_format`` (``text`` or ``json``)."""
    if log_format == "json":
        # ``ensure_ascii`` off: a Chinese department name stays readable in the line.
        return JsonFormatter(list(_JSON_FIELDS), rename_fields=_RENAMED, json_ensure_ascii=False)
    return logging.Formatter(TEXT_FORMAT)


class _CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a record is emitted, as logging's own
    last-resort handler does: a handler bound to the stream of the moment would write to
    a closed file once something replaces ``sys.stderr`` (output capture in tests, a
    process re-pointing it), and every later record would fail."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        del value  # always the current sys.stderr


def configure(*, level: str, log_format: str, stream: TextIO | None = None) -> None:
    """Make the root logger write every record at ``level`` or above to ``stream`` (default:
    the current ``sys.stderr``, which in a dramatiq worker process is the pipe its parent
    reads) in ``log_format``, replacing any handler set before (dramatiq's and
    ``logging.basicConfig``'s), with the redactor installed; ``dramatiq``'s logger gets
    ``level`` too. Idempotent."""
    handler = logging.StreamHandler(stream) if stream is not None else _CurrentStderr()
    handler.setFormatter(formatter(log_format))
    handler.addFilter(DatabaseErrorRedactor())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("dramatiq").setLevel(level)
