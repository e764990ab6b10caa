"""A real SMTP server on loopback (:class:`plaint.demo.smtp_sink.SmtpSink`: aiosmtpd, in this
process) that records every message it accepts, and can be told to answer the next DATA
commands with other replies (4xx, 5xx); and one with STARTTLS and AUTH."""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from plaint.demo.smtp_sink import DEMO_FROM, Received, Sink, SmtpSink
from tests.servers import free_port, missing

__all__ = ["Received", "SecureSmtpServer", "Sink", "SmtpServer"]


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
            "PLAINT_SMTP_FROM": DEMO_FROM,
            "PLAINT_SECRET_KEY": "test-secret-key",
            **extra,
        }


@contextlib.contextmanager
def running_smtp() -> Iterator[SmtpServer]:
    """A fresh SMTP server on a free loopback port (the controller probes it until ready)
    for the length of the block (tests and the soak)."""
    if importlib.util.find_spec("aiosmtpd") is None:
        missing("aiosmtpd (the demo extra)")
    with SmtpSink() as server:
        yield SmtpServer(server.host, server.port, server.sink)


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
        missing("aiosmtpd (the demo extra)")
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
