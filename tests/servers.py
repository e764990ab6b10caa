"""Real servers for tests, each started on a free loopback port in a temporary directory
and probed until ready (never a fixed sleep).

The servers come from the OS (Debian packages installed by ``make test``): redis-server,
PostgreSQL 15 and Dovecot. When a binary is missing, the fixture skips its tests locally
and fails them in CI (``CI=true``), so a missing install step cannot hide behind a skip.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol, TypeVar

import pytest

READY_TIMEOUT_SECONDS = 30.0
_PROBE_INTERVAL_SECONDS = 0.02


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def missing(what: str) -> None:
    """Skip locally, fail in CI: a test server that CI cannot start is a broken set-up."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is not installed; `make test` installs it", pytrace=False)
    pytest.skip(f"{what} is not installed (run `make test` to install test servers)")


def wait_until(
    probe: Callable[[], bool], *, what: str, process: subprocess.Popen[bytes],
    timeout: float = READY_TIMEOUT_SECONDS,
) -> None:  # fmt: skip
    """Call ``probe`` until it returns true; fail if ``process`` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode} before it was ready")
        try:
            if probe():
                return
        except OSError:
            pass
        time.sleep(_PROBE_INTERVAL_SECONDS)
    raise RuntimeError(f"{what} was not ready within {timeout} s")


def tcp_open(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        return True


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class RedisServer:
    """Debian's redis-server with an append-only file, on a free port."""

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            missing("redis-server")
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._argv = [
            str(binary), "--port", str(self.port), "--bind", "127.0.0.1",
            "--dir", str(directory), "--appendonly", "yes", "--save", "",
            "--logfile", str(directory / "redis.log"),
        ]  # fmt: skip
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        import redis

        self.process = subprocess.Popen(self._argv, stdin=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        try:
            wait_until(lambda: bool(client.ping()), what="redis-server", process=self.process)
        finally:
            client.close()

    def kill(self) -> None:
        """``kill -9`` the server, as a crash would."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)


def _pg_bin(name: str) -> str | None:
    for directory in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (directory / name).exists():
            return str(directory / name)
    return shutil.which(name)


def _as_postgres(argv: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the ``postgres`` user."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


class PostgresServer:
    """A throwaway PostgreSQL cluster (trust auth, loopback only) on a free port."""

    def __init__(self, directory: Path) -> None:
        initdb, postgres = _pg_bin("initdb"), _pg_bin("postgres")
        if initdb is None or postgres is None:
            missing("PostgreSQL server (initdb, postgres)")
        self.directory = directory
        self.port = free_port()
        self._initdb, self._postgres = str(initdb), str(postgres)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        data = self.directory / "data"
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        if not (data / "PG_VERSION").exists():  # a restart keeps the cluster
            self._initdb_cluster(data)
        self._launch(data)

    def _initdb_cluster(self, data: Path) -> None:
        subprocess.run(
            _as_postgres([self._initdb, "-D", str(data), "-U", "postgres", "--auth=trust",
                          "--no-sync", "-E", "UTF8", "--locale=C"]),
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip

    def _launch(self, data: Path) -> None:
        import psycopg

        with (self.directory / "postgres.log").open("ab") as log:
            self.process = subprocess.Popen(
                _as_postgres([self._postgres, "-D", str(data), "-p", str(self.port),
                              "-c", "listen_addresses=127.0.0.1", "-k", str(self.directory),
                              "-c", "fsync=off", "-c", "synchronous_commit=off",
                              "-c", "full_page_writes=off", "-c", "max_connections=200"]),
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
            )  # fmt: skip

        def ready() -> bool:
            try:
                psycopg.connect(self.admin_dsn, connect_timeout=2).close()
            except psycopg.OperationalError:
                return False
            return True

        wait_until(ready, what="PostgreSQL", process=self.process)

    @property
    def admin_dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"

    def pause(self) -> None:
        """Stop the server at once (PostgreSQL's fast shutdown: SIGINT ends every session),
        keeping its cluster and port: :meth:`start` brings the same databases back."""
        if self.process is not None and self.process.poll() is None:
            # The postmaster itself (runuser, when root, forwards no SIGINT): its pid file.
            postmaster = int((self.directory / "data" / "postmaster.pid").read_text().split()[0])
            os.kill(postmaster, signal.SIGINT)
            self.process.wait(timeout=60)

    def create_database(self, name: str) -> str:
        """Create database ``name`` and return its SQLAlchemy URL."""
        import psycopg

        with psycopg.connect(self.admin_dsn, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)


_DOVECOT_CONF = """\
protocols = imap
listen = 127.0.0.1
base_dir = {dir}/run
log_path = {dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = 0
mail_location = maildir:{dir}/home/%u/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/passwd
}}
userdb {{
  driver = static
  args = uid={user} gid={user} home={dir}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
}}
service submission-login {{
  inet_listener submission {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


class DovecotServer:
    """Dovecot IMAP in the foreground from a throwaway config; users are added on demand."""

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("dovecot") or (
            "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
        )
        if binary is None:
            missing("Dovecot (dovecot-imapd)")
        self.directory = directory
        self.port = free_port()
        self._binary = str(binary)
        self.process: subprocess.Popen[bytes] | None = None
        self._users: dict[str, str] = {}

    def start(self) -> None:
        (self.directory / "run").mkdir(parents=True, exist_ok=True)
        (self.directory / "home").mkdir(exist_ok=True)
        user = "dovecot" if os.geteuid() == 0 else str(os.getuid())
        if os.geteuid() == 0:
            shutil.chown(self.directory / "home", "dovecot", "dovecot")
            self.directory.chmod(0o755)
        (self.directory / "passwd").write_text("")
        conf = self.directory / "dovecot.conf"
        conf.write_text(_DOVECOT_CONF.format(dir=self.directory, port=self.port, user=user))
        self.process = subprocess.Popen(
            [self._binary, "-F", "-c", str(conf)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(lambda: tcp_open(self.port), what="Dovecot", process=self.process)

    def add_user(self, name: str, password: str) -> None:
        """Add an IMAP user (passwd-file is re-read on every login)."""
        self._users[name] = password
        lines = "".join(f"{u}:{{PLAIN}}{p}\n" for u, p in self._users.items())
        (self.directory / "passwd").write_text(lines)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)


@contextlib.contextmanager
def service_dir(prefix: str) -> Iterator[Path]:
    """A directory that servers dropping root (postgres, dovecot) can enter: pytest's own
    temporary tree is private to root."""
    directory = Path(tempfile.mkdtemp(prefix=f"plaint-test-{prefix}-"))
    directory.chmod(0o755)
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


class _Server(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...


_S = TypeVar("_S", bound=_Server)


@contextlib.contextmanager
def _running(make: Callable[[Path], _S], prefix: str) -> Iterator[_S]:
    """``make(directory)`` started in a fresh service directory, stopped at the end."""
    with service_dir(prefix) as directory:
        server = make(directory)
        server.start()
        try:
            yield server
        finally:
            server.stop()


def running_postgres(prefix: str = "pg") -> contextlib.AbstractContextManager[PostgresServer]:
    """A throwaway PostgreSQL server for the length of the block (tests and benchmarks)."""
    return _running(PostgresServer, prefix)


def running_dovecot() -> contextlib.AbstractContextManager[DovecotServer]:
    """A throwaway Dovecot for the length of the block (tests and the soak)."""
    return _running(DovecotServer, "dovecot")


# An Erlang node boots in 5-30 s on a busy machine.
_RABBITMQ_BOOT_SECONDS = 180.0
_RABBITMQ_SERVER = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")
_RABBITMQ_CONF = """\
listeners.tcp.default = 127.0.0.1:{port}
loopback_users = none
log.console = false
log.file.level = warning
"""


def _epmd() -> str | None:
    return shutil.which("epmd") or next(
        (str(p) for p in sorted(Path("/usr/lib/erlang").glob("erts-*/bin/epmd"))), None
    )


class RabbitMQServer:
    """A throwaway RabbitMQ node (Debian's rabbitmq-server) in a temporary directory: its
    own node name, AMQP, distribution and epmd ports, so it never meets another node or
    the system's epmd. Its epmd is stopped with it."""

    def __init__(self, directory: Path) -> None:
        if not _RABBITMQ_SERVER.exists() or _epmd() is None:
            missing("rabbitmq-server")
        self.directory = directory
        self.port, self.dist_port, self.epmd_port = free_port(), free_port(), free_port()
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}//"
        self.process: subprocess.Popen[bytes] | None = None

    def _environ(self) -> dict[str, str]:
        d = self.directory
        return {
            **os.environ, "HOME": str(d), "ERL_EPMD_PORT": str(self.epmd_port),
            "RABBITMQ_NODENAME": f"plainttest{self.port}@localhost",
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1", "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port), "RABBITMQ_MNESIA_BASE": str(d / "mnesia"),
            "RABBITMQ_LOG_BASE": str(d / "log"), "RABBITMQ_CONFIG_FILE": str(d / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(d / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(d / "rabbit.pid"), "RABBITMQ_CONF_ENV_FILE": str(d / "none"),
        }  # fmt: skip

    def start(self) -> None:
        from kombu import Connection

        (self.directory / "rabbitmq.conf").write_text(_RABBITMQ_CONF.format(port=self.port))
        (self.directory / "enabled_plugins").write_text("[].\n")
        with (self.directory / "rabbitmq.out").open("wb") as log:
            self.process = subprocess.Popen(
                [str(_RABBITMQ_SERVER)], env=self._environ(), stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

        def ready() -> bool:
            connection = Connection(self.url, connect_timeout=1)
            try:
                connection.connect()
            except Exception:  # refused while booting: probe again
                return False
            finally:
                connection.release()
            return True

        wait_until(ready, what="RabbitMQ", process=self.process, timeout=_RABBITMQ_BOOT_SECONDS)

    def stop(self) -> None:
        """Stop the node's whole process group (the start script and the Erlang VM)."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        epmd = _epmd()
        if epmd is not None:  # the node started an epmd on its own port: stop that one
            subprocess.run([epmd, "-port", str(self.epmd_port), "-kill"], check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip


def running_rabbitmq() -> contextlib.AbstractContextManager[RabbitMQServer]:
    """A throwaway RabbitMQ node for the length of the block (tests and the soak)."""
    return _running(RabbitMQServer, "rabbitmq")
