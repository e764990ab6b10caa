"""A real SMTP server on loopback (aiosmtpd, in this process) that records every message it
accepts, and can be told to answer the next DATA commands with other replies (4xx, 5xx)."""

from __future__ import annotations

import contextlib
import email
import email.policy
import importlib.util
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import pytest

from tests.servers import free_port, missing


@dataclass(frozen=True)
class Received:
    """One accepted message: the envelope and the parsed mail."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    mail: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.mail["Message-ID"])


class Sink:
    """The handler: records accepted mail; ``replies`` are answered to the next DATA
    commands instead of 250 (a 4xx or 5xx line), first in, first out."""

    def __init__(self) -> None:
        self.messages: list[Received] = []
        self.replies: deque[str] = deque()
        self.refused = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd hook name)
        with self._lock:
            if self.replies:
                self.refused += 1
                return self.replies.popleft()
            mail = email.message_from_bytes(envelope.content, policy=email.policy.default)
            assert isinstance(mail, EmailMessage)
            self.messages.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), mail))
        return "250 OK"

    def ids(self) -> list[str]:
        with self._lock:
            return [m.message_id for m in self.messages]


@dataclass
class SmtpServer:
    host: str
    port: int
    sink: Sink

    def environ(self, **extra: str) -> dict[str, str]:
        """The PLAINT_SMTP_* settings of a sender talking to this server in the clear."""
        return {
            "PLAINT_SMTP_HOST": self.host,
            "PLAINT_SMTP_PORT": str(self.port),
            "PLAINT_SMTP_TLS": "none",
            "PLAINT_SMTP_FROM": "物业客服 <service@plaint.example>",
            "PLAINT_SECRET_KEY": "test-secret-key",
            **extra,
        }


@contextlib.contextmanager
def running_smtp() -> Iterator[SmtpServer]:
    """A fresh SMTP server on a free loopback port (the controller probes it until ready)
    for the length of the block (tests and the soak)."""
    if importlib.util.find_spec("aiosmtpd") is None:
        missing("aiosmtpd (the test extra)")
    from aiosmtpd.controller import Controller

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", controller.port, sink)
    finally:
        controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A fresh SMTP server on a free loopback port."""
    with running_smtp() as server:
        yield server


@dataclass
class SecureSmtpServer(SmtpServer):
    """An SMTP server that offers STARTTLS with a self-signed certificate for 127.0.0.1
    and requires AUTH; ``cafile`` is the certificate a client must trust."""

    cafile: str = ""
    user: str = "plaint"
    password: str = "smtp-test-password"


@pytest.fixture
def secure_smtp_server(tmp_path: Any) -> Iterator[SecureSmtpServer]:
    """STARTTLS (a certificate made by ``openssl`` for this test) and AUTH LOGIN/PLAIN."""
    import shutil
    import ssl
    import subprocess

    if importlib.util.find_spec("aiosmtpd") is None:
        missing("aiosmtpd (the test extra)")
    if shutil.which("openssl") is None:
        missing("openssl")
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    sink = Sink()
    server = SecureSmtpServer("127.0.0.1", free_port(), sink, cafile=str(cert))

    def authenticate(_server: Any, _session: Any, _envelope: Any, _mechanism: str,
                     data: Any) -> AuthResult:  # fmt: skip
        ok = (data.login, data.password) == (server.user.encode(), server.password.encode())
        return AuthResult(success=ok)

    controller = Controller(
        sink, hostname="127.0.0.1", port=server.port, tls_context=context,
        require_starttls=True, authenticator=authenticate, auth_require_tls=True,
        server_hostname="127.0.0.1",
    )  # fmt: skip
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
