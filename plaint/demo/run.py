"""``plaint demo``: the whole flow on embedded defaults, in one command.

A throwaway IMAP server (pymap, loopback only) is seeded with residents' complaints;
``plaint run``'s process tree (embedded Redis, workers, clock) polls it into a throwaway
SQLite database and triages every message; the resulting tickets are printed as a table.
Nothing is left behind: every server and file lives in a temporary directory.

With ``serve`` the stack also runs ``plaint web`` on a free loopback port (with a random
``PLAINT_SECRET_KEY``) and the demo then prints the pages' URL and a one-time sign-in link
for the demo desk account (``demo.desk``), and keeps serving until Ctrl-C (SIGINT).
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["DEMO_DESK", "run_demo"]

DEMO_TIMEOUT_SECONDS = 120.0
_DB_POLL_SECONDS = 0.25
_USER, _PASSWORD_ENV = "complaints", "PLAINT_DEMO_IMAP_PASSWORD"
DEMO_DESK = "demo.desk"  # the desk account the sign-in link signs in


def _config(port: int) -> str:
    return f"""
[[sources]]
name = "demo-mailbox"
kind = "imap"
host = "127.0.0.1"
port = {port}
tls = false
username = "{_USER}"
password_env = "{_PASSWORD_ENV}"
poll_interval_seconds = 1

[[staff]]
code = "{DEMO_DESK}"
name = "演示客服"
role = "desk"
"""


def run_demo(*, keep: Path | None = None, serve: bool = False) -> int:
    """Run the demo; keep its data in ``keep`` if given; with ``serve``, then serve the
    pages until SIGINT. Returns the exit code: 0 when every seeded mail was triaged within
    the timeout (and, serving, the pages came up and were stopped by SIGINT)."""
    from plaint.demo.imap_server import LocalImapServer
    from plaint.demo.mail import demo_messages

    password = os.urandom(8).hex()
    with tempfile.TemporaryDirectory(prefix="plaint-demo-") as tmp:
        data_dir = keep or Path(tmp)
        data_dir.mkdir(parents=True, exist_ok=True)
        with LocalImapServer(username=_USER, password=password) as imap:
            client = imap.client()
            messages = list(demo_messages(start=datetime.now(UTC)))
            for raw in messages:
                client.append("INBOX", raw)
            client.logout()
            print(f"seeded a local IMAP server (127.0.0.1:{imap.port}) with {len(messages)} mails")
            config_path = data_dir / "demo.toml"
            config_path.write_text(_config(imap.port), "utf-8")
            environ = {
                **os.environ,
                "PLAINT_DATA_DIR": str(data_dir),
                "PLAINT_DATABASE_URL": f"sqlite:///{data_dir / 'plaint.db'}",
                "PLAINT_CONFIG": str(config_path),
                "PLAINT_LOG_LEVEL": "WARNING",
                _PASSWORD_ENV: password,
            }
            environ.pop("PLAINT_REDIS_URL", None)
            if serve:
                environ.update(PLAINT_WEB_HOST="127.0.0.1", PLAINT_WEB_PORT=str(_free_port()),
                               PLAINT_SECRET_KEY=os.urandom(32).hex())  # fmt: skip
            return _run_until_triaged(environ, expected=len(messages), serve=serve)


def _run_until_triaged(environ: dict[str, str], *, expected: int, serve: bool) -> int:
    from plaint.config import load_config, load_settings
    from plaint.workers.stack import open_stack

    settings = load_settings(environ)
    config = load_config(settings.config_path)
    with open_stack(settings, environ, web=serve) as stack:
        thread = threading.Thread(target=stack.supervisor.run, name="supervisor")
        thread.start()
        try:
            done = _wait_for_inbox(settings.database_url, expected=expected)
            _print_tickets(settings.database_url, config.timezone)
            if done < expected:
                print(f"plaint: error: only {done} of {expected} mails were triaged in "
                      f"{DEMO_TIMEOUT_SECONDS:.0f} s", file=sys.stderr)  # fmt: skip
                return 1
            return _serve_until_interrupted(settings) if serve else 0
        finally:
            stack.supervisor.stop()
            thread.join()


def _free_port() -> int:
    """A loopback port free now (the web child binds it a moment later)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _serve_until_interrupted(settings: Any) -> int:
    """Wait for the web child, print the URL and a one-time sign-in link for the demo
    desk, then block until SIGINT (Ctrl-C); 1 if the pages do not come up."""
    import httpx

    from plaint.models import create_db_engine, session_factory
    from plaint.service.directory import issue_token

    base = f"http://127.0.0.1:{settings.web_port}"
    deadline = time.monotonic() + DEMO_TIMEOUT_SECONDS
    while not _answers(httpx, f"{base}/healthz"):
        if time.monotonic() > deadline:
            print("plaint: error: the pages did not come up", file=sys.stderr)
            return 1
        time.sleep(_DB_POLL_SECONDS)
    # The web child wrote the demo desk to the directory before it answered.
    engine = create_db_engine(settings.database_url)
    try:
        with session_factory(engine).begin() as session:
            token = issue_token(session, DEMO_DESK, now=datetime.now(UTC))
    finally:
        engine.dispose()
    print(f"\nthe pages: {base}/today\nsign in once as the demo desk ({DEMO_DESK}): "
          f"{base}/signin?token={token}\nCtrl-C stops the demo", flush=True)  # fmt: skip
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print("stopped", flush=True)
    return 0


def _answers(httpx: Any, url: str) -> bool:
    try:
        return bool(httpx.get(url, timeout=1.0).status_code == 200)
    except httpx.HTTPError:
        return False


def _wait_for_inbox(database_url: str, *, expected: int) -> int:
    """Block until ``expected`` inbox rows are triaged or the timeout passes; show progress."""
    from sqlalchemy import func, select

    from plaint.models import Inbox, InboxStatus, create_db_engine

    engine = create_db_engine(database_url)
    deadline = time.monotonic() + DEMO_TIMEOUT_SECONDS
    done = shown = -1
    query = select(func.count()).where(Inbox.status != InboxStatus.PENDING)
    try:
        while time.monotonic() < deadline and done < expected:
            with engine.connect() as connection:
                done = connection.execute(query).scalar_one()
            if done != shown:
                print(f"triaged {done}/{expected}", flush=True)
                shown = done
            time.sleep(_DB_POLL_SECONDS)
    finally:
        engine.dispose()
    return done


def _print_tickets(database_url: str, tz: Any) -> None:
    from sqlalchemy import select

    from plaint.cli.output import print_table
    from plaint.cli.tickets import TICKET_HEADERS, ticket_rows
    from plaint.models import Ticket, create_db_engine, session_factory

    engine = create_db_engine(database_url)
    with session_factory(engine)() as session:
        tickets = session.scalars(select(Ticket).order_by(Ticket.id)).all()
        print()
        rows = ticket_rows(tickets, tz)
        table = [[_short(t.subject), *row] for t, row in zip(tickets, rows, strict=True)]
        print_table(("subject", *TICKET_HEADERS), table)
        messages = sum(len(t.messages) for t in tickets)
        print(f"\n{len(tickets)} tickets from {messages} messages")
    engine.dispose()


def _short(text: str, width: int = 24) -> str:
    """Return ``text`` cut to ``width`` terminal columns, with an ellipsis if it was cut."""
    from rich.cells import cell_len, set_cell_size

    return text if cell_len(text) <= width else set_cell_size(text, width - 1).rstrip() + "…"
