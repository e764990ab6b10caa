"""Serving the API: ``PLAINT_WEB_*`` settings, whose proxy headers are believed, the staff
directory written at start-up, ``plaint web``'s one-line errors, and ``plaint run``
serving it as a supervised child."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from plaint.cli import main
from plaint.config import Config, load_settings
from plaint.errors import ConfigError
from plaint.models import create_db_engine
from plaint.models.migrate import upgrade
from plaint.service.directory import find_staff, issue_token, sync_directory
from plaint.web.app import create_app
from plaint.web.serve import server_config
from tests.cli.test_cli import _children, _cmdline
from tests.servers import free_port
from tests.web.conftest import NOW

REPO = Path(__file__).resolve().parents[2]
DEADLINE_SECONDS = 120.0
PROBE_SECONDS = 0.1


def test_web_settings_default_to_loopback_port_8000_trusting_no_proxy() -> None:
    settings = load_settings({})
    assert (settings.web_host, settings.web_port, settings.web_trusted_proxies) == (
        "127.0.0.1", 8000, ())  # fmt: skip
    proxies = " 10.0.0.5, 10.1.0.0/16 ,"
    settings = load_settings({"PLAINT_WEB_HOST": "0.0.0.0", "PLAINT_WEB_PORT": "8080",
                              "PLAINT_WEB_TRUSTED_PROXIES": proxies})  # fmt: skip
    assert (settings.web_host, settings.web_port, settings.web_trusted_proxies) == (
        "0.0.0.0", 8080, ("10.0.0.5", "10.1.0.0/16"))  # fmt: skip


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"PLAINT_WEB_PORT": "http"}, "PLAINT_WEB_PORT must be a whole number"),
        ({"PLAINT_WEB_PORT": "0"}, "PLAINT_WEB_PORT must be at least 1"),
        ({"PLAINT_WEB_PORT": "70000"}, "PLAINT_WEB_PORT must be a TCP port from 1 to 65535"),
        ({"PLAINT_WEB_TRUSTED_PROXIES": "10.0.0.300"}, "PLAINT_WEB_TRUSTED_PROXIES: '10.0.0.300'"),
        ({"PLAINT_WEB_TRUSTED_PROXIES": "proxy.local"}, "PLAINT_WEB_TRUSTED_PROXIES: 'proxy"),
        ({"PLAINT_WEB_TRUSTED_PROXIES": "10.0.0.1/8"}, "not an IP address or network"),
    ],
)
def test_bad_web_settings_name_the_variable(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(environ)


def _scheme_seen(config: Config, sessions: sessionmaker[Session], *, trusted: str,
                 peer: str) -> str:  # fmt: skip
    """The scheme of the redirect a client at ``peer`` gets through a proxy claiming
    https, as served with ``PLAINT_WEB_TRUSTED_PROXIES=trusted``."""
    app = create_app(config=config, sessions=sessions, redis_ready=lambda: True,
                     clock=lambda: NOW)  # fmt: skip
    server = server_config(app, load_settings({"PLAINT_WEB_TRUSTED_PROXIES": trusted}))
    server.load()

    async def ask() -> httpx.Response:
        transport = httpx.ASGITransport(app=server.loaded_app, client=(peer, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://plaint") as client:
            return await client.get("/api/v1/tickets/", headers={"X-Forwarded-Proto": "https"})

    response = asyncio.run(ask())
    assert response.status_code == 307
    return response.headers["Location"].split(":")[0]


@pytest.mark.parametrize(
    ("trusted", "peer", "scheme"),
    [
        ("", "127.0.0.1", "http"),  # uvicorn alone would believe a local peer
        ("10.0.0.5", "10.0.0.5", "https"),
        ("10.0.0.0/24", "10.0.0.5", "https"),
        ("10.0.0.5", "10.0.0.9", "http"),
    ],
)
def test_forwarded_headers_are_believed_only_from_trusted_proxies(
    web_config: Config, sessions: sessionmaker[Session], trusted: str, peer: str, scheme: str
) -> None:
    assert _scheme_seen(web_config, sessions, trusted=trusted, peer=peer) == scheme


def test_the_configured_staff_are_written_to_the_directory_at_start(
    web_config: Config, sessions: sessionmaker[Session]
) -> None:
    for _start in range(2):  # again, as every start does
        with sessions.begin() as session:
            sync_directory(session, web_config, now=NOW)
    with sessions.begin() as session:
        assert find_staff(session, "chen.head").role == "department_head"
        assert issue_token(session, "li.clean", now=NOW).startswith("plt_")


def test_plaint_web_with_a_bad_port_says_so_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PLAINT_WEB_PORT", "eighty")
    assert main(["web"]) == 2
    assert capsys.readouterr().err == (
        "plaint: error: PLAINT_WEB_PORT must be a whole number, got 'eighty'\n"
    )


def test_plaint_web_on_a_taken_port_says_so_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'plaint.db'}"
    engine = create_db_engine(url)
    upgrade(engine)
    engine.dispose()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        monkeypatch.setenv("PLAINT_DATABASE_URL", url)
        monkeypatch.setenv("PLAINT_WEB_PORT", str(taken.getsockname()[1]))
        monkeypatch.delenv("PLAINT_CONFIG", raising=False)
        assert main(["web"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith("plaint: error: the web server could not start on 127.0.0.1:")


def _descendants(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        children = _children(queue.pop())
        found += children
        queue += children
    return found


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie has exited)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _wait_until_it_answers(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Probe ``url`` until it answers 200; fail, showing the end of ``log``, if
    ``process`` exits or the deadline passes (generous: the machine may be busy while four
    Python processes start)."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(PROBE_SECONDS)
    tail = log.read_text("utf-8", "replace")[-2000:]
    raise AssertionError(f"{url} did not answer (exit code {process.poll()}):\n{tail}")


@pytest.mark.slow
def test_plaint_run_serves_the_api_and_stops_with_every_child(tmp_path: Path) -> None:
    """`plaint run` on a fresh data directory: the web child answers /healthz, /readyz
    (SQLite and the embedded Redis) and /openapi.json; SIGTERM stops the whole tree."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLAINT_")}
    env.update({"PLAINT_DATA_DIR": str(tmp_path / "data"), "PLAINT_WEB_PORT": str(port),
                "PLAINT_WORKER_PROCESSES": "1", "PLAINT_WORKER_THREADS": "1"})  # fmt: skip
    base, tree = f"http://127.0.0.1:{port}", []
    with (tmp_path / "run.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "plaint", "run"], cwd=REPO, env=env,
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_until_it_answers(f"{base}/healthz", process, tmp_path / "run.log")
        assert httpx.get(f"{base}/readyz", timeout=5).json() == {"status": "ok", "failed": []}
        assert "/api/v1/tickets" in httpx.get(f"{base}/openapi.json", timeout=5).json()["paths"]
        tree = _descendants(process.pid)
        assert any("plaint web" in _cmdline(pid) for pid in tree), "no web child"
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=DEADLINE_SECONDS)
    assert code == 0, (tmp_path / "run.log").read_text("utf-8", "replace")[-2000:]
    left = [pid for pid in tree if _running(pid)]
    assert left == [], [_cmdline(pid) for pid in left]
