"""Database and provider errors reach the logs by class and constraint name only.

``hide_parameters`` keeps SQL parameters out of SQLAlchemy's messages, but a database's own
error text does not obey it: PostgreSQL's ``DETAIL: Key (phone)=(+86…) already exists``
quotes the row. The outbox's providers do the same: smtplib's refusals name the recipients,
Twilio's errors quote the request (the resident's number). Any log record whose exception
chain holds such an error (dramatiq logging an actor's failure, the dispatcher logging a
sender's) keeps its stack frames, which carry no data, and loses every exception message in
the chain, replaced by :func:`plaint.service.retry.failure_reason`.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator

from sqlalchemy.exc import DBAPIError

from plaint.service.retry import failure_reason

__all__ = ["DatabaseErrorRedactor", "install"]


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


# Top-level modules whose exceptions may quote residents' data in their messages.
_QUOTING_MODULES = frozenset({"psycopg", "sqlite3", "smtplib", "twilio"})


def _may_quote_data(exc: BaseException) -> bool:
    return isinstance(exc, DBAPIError) or type(exc).__module__.split(".")[0] in _QUOTING_MODULES


class DatabaseErrorRedactor(logging.Filter):
    """Rewrites the exception text of records that carry a database or provider error;
    passes every record (it only edits)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace the record's exception text when its chain holds a database or provider
        error."""
        if not record.exc_info or record.exc_info[1] is None:
            return True
        chain = list(_chain(record.exc_info[1]))
        if not any(_may_quote_data(exc) for exc in chain):
            return True
        lines = []
        for exc in reversed(chain):
            lines.append("Traceback (most recent call last):\n")
            lines.extend(traceback.format_tb(exc.__traceback__))
            lines.append(f"{type(exc).__name__}: [text withheld] {failure_reason(exc)}\n")
        record.exc_text = "".join(lines).rstrip("\n")
        record.exc_info = None
        return True


def install(logger: logging.Logger | None = None) -> None:
    """Add the redactor to every handler of ``logger`` (default: the root logger), so it
    sees records propagated from any logger. Idempotent."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, DatabaseErrorRedactor) for f in handler.filters):
            handler.addFilter(DatabaseErrorRedactor())
