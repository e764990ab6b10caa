"""A local SMTP server that keeps what it accepts, for ``plaint demo``, the tests and the
benches: aiosmtpd (the ``demo`` extra) on a free loopback port, in a thread of this
process::

    with SmtpSink() as smtp:
        environ.update(smtp.environ())
        ...
        smtp.messages()  # [Received(mail_from, rcpt_tos, mail), ...], oldest first

Its handler, :class:`Sink`, can also be told to answer the next DATA commands with other
replies (a 4xx or 5xx line), first in, first out.
"""

from __future__ import annotations

import email
import email.policy
import threading
from collections import deque
from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from plaint.demo.loopback import LOOPBACK, LocalServer, free_port

if TYPE_CHECKING:
    from aiosmtpd.controller import Controller

__all__ = ["DEMO_FROM", "Received", "Sink", "SmtpSink"]

# What the demo's mail comes from (the sender's From header).
DEMO_FROM = "物业客服 <service@plaint.example>"


@dataclass(frozen=True)
class Received:
    """One accepted message: the envelope and the parsed mail."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    mail: EmailMessage

    @property
    def message_id(self) -> str:
        """The mail's Message-ID header."""
        return str(self.mail["Message-ID"])


class Sink:
    """The aiosmtpd handler: records accepted mail; ``replies`` are answered to the next
    DATA commands instead of 250 (a 4xx or 5xx line), first in, first out."""

    def __init__(self) -> None:
        self.messages: list[Received] = []
        self.replies: deque[str] = deque()
        self.refused = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd hook name)
        """Record the message (or refuse it with the next queued reply)."""
        with self._lock:
            if self.replies:
                self.refused += 1
                return self.replies.popleft()
            mail = email.message_from_bytes(envelope.content, policy=email.policy.default)
            assert isinstance(mail, EmailMessage)
            self.messages.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), mail))
        return "250 OK"

    def received(self) -> list[Received]:
        """A copy of the messages accepted so far, oldest first."""
        with self._lock:
            return list(self.messages)

    def ids(self) -> list[str]:
        """The Message-IDs of the messages accepted so far."""
        return [m.message_id for m in self.received()]


class SmtpSink(LocalServer):
    """An SMTP server on a free loopback port recording into :attr:`sink` (a
    :class:`~plaint.demo.loopback.LocalServer`); aiosmtpd's controller probes the server
    until it answers before ``start()`` returns."""

    def __init__(self) -> None:
        self.host, self.sink = LOOPBACK, Sink()
        self.port = free_port()
        self._controller: Controller | None = None

    def launch(self) -> None:
        """Start serving (in a thread); blocks until the server answers."""
        from aiosmtpd.controller import Controller

        self._controller = Controller(self.sink, hostname=self.host, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        """Stop serving; nothing if it is not running."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def messages(self) -> list[Received]:
        """The messages accepted so far, oldest first."""
        return self.sink.received()

    def environ(self, *, sender: str = DEMO_FROM) -> dict[str, str]:
        """The ``PLAINT_SMTP_*`` settings of a plaint sending here in the clear."""
        return {"PLAINT_SMTP_HOST": self.host, "PLAINT_SMTP_PORT": str(self.port),
                "PLAINT_SMTP_TLS": "none", "PLAINT_SMTP_FROM": sender}  # fmt: skip
