"""The one exception tree of plaint.

::

    PlaintError
     ├── ConfigError                 bad settings or business configuration; fix and restart
     │    └── CalendarCoverageError  a year the working-day calendar does not know
     ├── TransientError              worth retrying: the same call may succeed later
     │    └── ChannelUnavailableError  a channel's server is down, slow or refused us
     └── PermanentError              retrying cannot help
          ├── MalformedMessageError  the sender's fault: record, quarantine, ack, carry on
          ├── NotFoundError          a ticket, inbox item or source that does not exist
          ├── ConflictError          the ticket's state does not allow that action
          ├── PermissionDeniedError  the member of staff's role or department does not allow it
          └── InvalidInputError      a request's values are wrong (a code the taxonomy lacks)

Third-party exceptions never leave ``plaint.channels``: adapters translate them with
``raise ChannelUnavailableError(...) from exc`` or ``MalformedMessageError``.
"""

from __future__ import annotations

__all__ = [
    "CalendarCoverageError",
    "ChannelUnavailableError",
    "ConfigError",
    "ConflictError",
    "InvalidInputError",
    "MalformedMessageError",
    "NotFoundError",
    "PermanentError",
    "PermissionDeniedError",
    "PlaintError",
    "TransientError",
]


class PlaintError(Exception):
    """Base of every error plaint raises on purpose."""


class ConfigError(PlaintError):
    """Settings or the TOML configuration are invalid; the message names the key."""


class CalendarCoverageError(ConfigError):
    """The working-day calendar has no data for a year that is needed."""


class TransientError(PlaintError):
    """A failure that may go away: the caller should retry later."""


class ChannelUnavailableError(TransientError):
    """A channel's server could not be reached or answered with an error."""


class PermanentError(PlaintError):
    """A failure that retrying cannot fix."""


class MalformedMessageError(PermanentError):
    """An inbound item cannot be understood; ``reason`` is a short code safe to log."""

    def __init__(self, message: str, *, reason: str = "malformed") -> None:
        super().__init__(message)
        self.reason = reason


class NotFoundError(PermanentError):
    """The named object does not exist."""


class ConflictError(PermanentError):
    """The action does not fit the ticket's state (e.g. resuming a ticket not waiting)."""


class PermissionDeniedError(PermanentError):
    """The acting member of staff may not do this: their role or department does not allow
    it. (Where merely revealing that an object exists would say too much, NotFoundError is
    raised instead.)"""


class InvalidInputError(PermanentError):
    """A value given by a member of staff is not acceptable (an unknown code, an empty
    text); the message names the field."""
