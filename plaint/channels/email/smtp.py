"""The SMTP sender: the outbox's email channel (smtplib, ``email.message.EmailMessage``).

Settings from the environment: ``PLAINT_SMTP_HOST`` (the sender is off without it),
``PLAINT_SMTP_PORT`` (default 587 with STARTTLS, 465 with SSL, 25 without TLS),
``PLAINT_SMTP_TLS`` = ``starttls`` (default) | ``ssl`` | ``none``, ``PLAINT_SMTP_USER`` and
``PLAINT_SMTP_PASSWORD`` (login only when a user is set), ``PLAINT_SMTP_FROM`` (the From
address, required) and ``PLAINT_SECRET_KEY`` (signs the Message-IDs, required).

Each mail carries the signed Message-ID of its notification key
(:func:`plaint.channels.email.msgid.make_message_id`), threads under the resident's mail
(``In-Reply-To`` the last, ``References`` all), and, when automatic, ``Auto-Submitted:
auto-replied`` (RFC 3834) and ``X-Auto-Response-Suppress: All`` (Exchange's own switch for
out-of-office answers): an auto-responder must not answer it, so no loop starts.

Exactly once: SMTP has no way to ask a server whether it took a message, so
:meth:`SmtpSender.find_sent` always answers ``None`` and the dispatcher resends a
notification whose earlier attempt went unrecorded (the process died between the server's
250 and the commit). The resend carries the *same* Message-ID: mail clients and mailbox
providers that collapse duplicates by Message-ID show it once, plaint's own intake
recognises it as its own, and the window is one network round trip per crash. The other
choice, giving up on an unrecorded attempt, would lose an acknowledgement on every such
crash to avoid a duplicate that the Message-ID already marks as one.

Errors: a 4xx reply, a timeout or a dropped connection is a TransientSendError; a 5xx
reply to the sender, a recipient or the data is a PermanentSendError. Reasons carry the
reply code only, never the server's text (it often quotes the address). Authentication
failures are transient: they are the operator's to fix, not the resident's fault.
"""

from __future__ import annotations

import smtplib
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, parseaddr

from plaint.channels.email.msgid import make_message_id
from plaint.channels.outbound import (
    Outgoing,
    PermanentSendError,
    SendResult,
    TransientSendError,
)
from plaint.errors import ConfigError

__all__ = ["SmtpSender", "SmtpSettings", "settings_from_environ"]

# Seconds a connection, a reply or a send may take before it is a transient failure;
# smtplib's default is to wait for ever.
TIMEOUT_SECONDS = 30.0
_DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
# RFC 5322's hard line limit instead of the policy's 78: at 78 a signed Message-ID (over 70
# characters) is folded onto a line of its own, and some parsers then keep the folding
# space in the id, which would break threading and the resend's identity.
_POLICY = SMTP_POLICY.clone(max_line_length=998)
# References kept on a reply: the newest ones, so a long thread does not make a huge header.
MAX_REFERENCES = 20


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send mail; ``password`` is never logged or shown."""

    host: str
    port: int
    tls: str
    sender: str
    secret: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = TIMEOUT_SECONDS

    @property
    def domain(self) -> str:
        """The domain of the From address, used in Message-IDs."""
        return parseaddr(self.sender)[1].rpartition("@")[2] or "localhost"


def settings_from_environ(environ: Mapping[str, str]) -> SmtpSettings | None:
    """Read the SMTP settings; ``None`` without ``PLAINT_SMTP_HOST``; ConfigError naming the
    variable for a bad or missing value."""
    host = environ.get("PLAINT_SMTP_HOST", "").strip()
    if not host:
        return None
    tls = environ.get("PLAINT_SMTP_TLS", "starttls").strip().lower() or "starttls"
    if tls not in _DEFAULT_PORTS:
        raise ConfigError(f"PLAINT_SMTP_TLS must be starttls, ssl or none, got {tls!r}")
    raw_port = environ.get("PLAINT_SMTP_PORT", "").strip()
    try:
        port = int(raw_port) if raw_port else _DEFAULT_PORTS[tls]
    except ValueError:
        raise ConfigError(f"PLAINT_SMTP_PORT must be a TCP port, got {raw_port!r}") from None
    if not 0 < port < 65536:
        raise ConfigError(f"PLAINT_SMTP_PORT must be a TCP port from 1 to 65535, got {port}")
    sender = environ.get("PLAINT_SMTP_FROM", "").strip()
    if "@" not in parseaddr(sender)[1]:
        raise ConfigError("PLAINT_SMTP_FROM must be set to the From address of plaint's mail")
    secret = environ.get("PLAINT_SECRET_KEY", "")
    if not secret:
        raise ConfigError("PLAINT_SECRET_KEY must be set to sign outbound Message-IDs")
    return SmtpSettings(
        host=host, port=port, tls=tls, sender=sender, secret=secret,
        user=environ.get("PLAINT_SMTP_USER") or None,
        password=environ.get("PLAINT_SMTP_PASSWORD") or None,
    )  # fmt: skip


class SmtpSender:
    """Sends the outbox's email over one SMTP connection, kept open between sends and
    reopened when the server dropped it; safe to share between threads (sends take turns).
    """

    channel = "email"

    def __init__(self, settings: SmtpSettings, *, context: ssl.SSLContext | None = None) -> None:
        self._settings = settings
        self._context = context or ssl.create_default_context()
        self._lock = threading.Lock()
        self._smtp: smtplib.SMTP | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> SmtpSender | None:
        """The sender ``environ`` configures, or ``None`` without ``PLAINT_SMTP_HOST``."""
        settings = settings_from_environ(environ)
        return None if settings is None else cls(settings)

    def message_id(self, key: str) -> str:
        """The Message-ID every attempt of notification ``key`` carries."""
        return make_message_id(key, secret=self._settings.secret, domain=self._settings.domain)

    def build(self, message: Outgoing) -> EmailMessage:
        """The mail for ``message``: headers, text part and, if given, the HTML alternative."""
        mail = EmailMessage(policy=_POLICY)
        mail["From"] = self._settings.sender
        mail["To"] = message.recipient
        mail["Subject"] = message.subject
        mail["Date"] = format_datetime(message.first_attempt_at.astimezone(UTC))
        mail["Message-ID"] = self.message_id(message.key)
        if message.thread:
            mail["In-Reply-To"] = message.thread[-1]
            mail["References"] = " ".join(message.thread[-MAX_REFERENCES:])
        if message.automatic:
            mail["Auto-Submitted"] = "auto-replied"
            mail["X-Auto-Response-Suppress"] = "All"
        mail.set_content(message.body)
        if message.html is not None:
            mail.add_alternative(message.html, subtype="html")
        return mail

    def send(self, message: Outgoing) -> SendResult:
        """Hand the mail to the server; raise TransientSendError or PermanentSendError.
        Blocks for at most a few timeouts."""
        mail = self.build(message)
        with self._lock:
            try:
                self._send_once(mail)
            except smtplib.SMTPServerDisconnected:
                self._drop()  # a kept connection the server closed: once more, afresh
                try:
                    self._send_once(mail)
                except smtplib.SMTPServerDisconnected:
                    self._drop()
                    raise TransientSendError("smtp disconnected") from None
        return SendResult(provider_id=str(mail["Message-ID"]), status="accepted")

    def find_sent(self, message: Outgoing) -> SendResult | None:
        """SMTP cannot be asked: always ``None``, so an unrecorded attempt is resent with
        the same Message-ID (see the module docstring)."""
        return None

    def close(self) -> None:
        """Close the kept connection, if any."""
        with self._lock:
            self._drop()

    def _send_once(self, mail: EmailMessage) -> None:
        smtp = self._connection()
        try:
            smtp.send_message(mail)
        except smtplib.SMTPServerDisconnected:
            raise
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            self._reset()
            raise _by_code(min(codes) if codes else 550, "recipient refused") from None
        except smtplib.SMTPResponseException as exc:
            self._reset()
            raise _by_code(exc.smtp_code, "refused") from None
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            raise TransientSendError(f"smtp unavailable ({type(exc).__name__})") from None

    def _connection(self) -> smtplib.SMTP:
        """The kept connection, opened (and logged in) if need be; any failure to open it
        is transient: the server, the network or the credentials are the operator's."""
        if self._smtp is None:
            try:
                self._smtp = self._open()
            except smtplib.SMTPAuthenticationError as exc:
                raise TransientSendError(f"smtp {exc.smtp_code} authentication failed") from None
            except (smtplib.SMTPException, OSError) as exc:
                raise TransientSendError(f"smtp unavailable ({type(exc).__name__})") from None
        return self._smtp

    def _open(self) -> smtplib.SMTP:
        s = self._settings
        smtp: smtplib.SMTP
        if s.tls == "ssl":
            smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._context)
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            if s.tls == "starttls":
                smtp.starttls(context=self._context)
            if s.user is not None:
                smtp.login(s.user, s.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _reset(self) -> None:
        """After a refusal the session is still usable once RSET is answered."""
        try:
            if self._smtp is not None:
                self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None


def _by_code(code: int, what: str) -> TransientSendError | PermanentSendError:
    reason = f"smtp {code} {what}"
    if 400 <= code < 500:
        return TransientSendError(reason)
    return PermanentSendError(reason, code=str(code))
