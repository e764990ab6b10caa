"""``plaint demo``: the whole flow on embedded defaults, every channel, in one command.

Throwaway servers on loopback stand in for the outside world: an IMAP server (pymap)
seeded with residents' mails, a stand-in of Twilio's REST API and an SMTP server. ``plaint
run``'s process tree (embedded Redis, workers, clock) and ``plaint web`` (on a free
loopback port, with a random ``PLAINT_SECRET_KEY``) run against a throwaway SQLite
database. The demo then feeds each channel along its real code path: the mails are polled
and triaged; after them, residents' SMS are posted to the web app's Twilio webhook,
signed, and a call-centre CSV is dropped into the folder a ``cdr-folder`` source watches
(:mod:`plaint.demo.feed`). The acknowledgements, and a reply the demo desk makes through
the staff API, go out through the outbox dispatcher to the stand-in and the SMTP server.
The demo prints the tickets and, per resident, what they sent and received
(:mod:`plaint.demo.summary`). Nothing is left behind: every server and file lives in a
temporary directory. Every wait probes a condition (the database, an HTTP answer) until
DEMO_TIMEOUT_SECONDS.

With ``serve`` the demo then prints the pages' URL and a one-time sign-in link for the
demo desk account (``demo.desk``), and keeps serving until Ctrl-C (SIGINT).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from plaint.demo.summary import Delivered, ResidentSummary

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    import httpx
    from sqlalchemy.orm import Session, sessionmaker

    from plaint.config import Config, Settings
    from plaint.demo.imap_server import LocalImapServer
    from plaint.demo.twilio_standin import TwilioStandIn

__all__ = ["DEMO_DESK", "DemoOutcome", "run_demo", "running_demo"]

DEMO_TIMEOUT_SECONDS = 120.0
_POLL_SECONDS = 0.25
_USER, _PASSWORD_ENV = "complaints", "PLAINT_DEMO_IMAP_PASSWORD"
DEMO_DESK = "demo.desk"  # the desk account the sign-in link signs in and the reply is from
_CALLS_FOLDER = "call-centre"


def _config(*, imap_port: int, calls: Path) -> str:
    from plaint.demo.residents import CALL_COLUMNS

    columns = "\n".join(f'{field} = "{header}"' for field, header in CALL_COLUMNS)
    return f"""
[[sources]]
name = "demo-mailbox"
kind = "imap"
host = "127.0.0.1"
port = {imap_port}
tls = false
username = "{_USER}"
password_env = "{_PASSWORD_ENV}"
poll_interval_seconds = 1

[[sources]]
name = "demo-call-centre"
kind = "cdr-folder"
path = "{calls.as_posix()}"
format = "columns"
poll_interval_seconds = 1
[sources.columns]
{columns}

# The demo runs at any hour: no SMS held for the night.
[messages]
quiet_hours = "off"

[[staff]]
code = "{DEMO_DESK}"
name = "演示客服"
role = "desk"
"""


@dataclass(frozen=True)
class DemoOutcome:
    """What a demo run did: inbound items ``fed`` and ``triaged``; everything that
    ``arrived`` at the stand-in and the SMTP server, and the same by resident; what
    reached no resident; ``error`` when a step did not finish in time."""

    fed: int
    triaged: int
    arrived: tuple[Delivered, ...] = ()
    residents: tuple[ResidentSummary, ...] = ()
    others: tuple[Delivered, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class RunningDemo:
    """A demo whose stack still runs: its settings, the company's time zone, its pages'
    URL and its outcome."""

    settings: Settings
    zone: ZoneInfo
    web_url: str
    outcome: DemoOutcome


def run_demo(*, keep: Path | None = None, serve: bool = False) -> int:
    """Run the demo; keep its data in ``keep`` if given; with ``serve``, then serve the
    pages until SIGINT. Returns the exit code: 0 when every item was triaged and every
    resident's notification went out within the timeout (and, serving, the pages were
    stopped by SIGINT)."""
    from plaint.demo.summary import print_summary

    with (
        tempfile.TemporaryDirectory(prefix="plaint-demo-") as tmp,
        running_demo(keep or Path(tmp)) as demo,
    ):
        _print_tickets(demo.settings, demo.zone)
        outcome = demo.outcome
        if outcome.error is not None:
            print(f"plaint: error: {outcome.error}", file=sys.stderr)
            return 1
        print_summary(outcome.residents, outcome.others)
        return _serve_until_interrupted(demo) if serve else 0


@contextlib.contextmanager
def running_demo(
    data_dir: Path, *, environ: Mapping[str, str] | None = None
) -> Iterator[RunningDemo]:
    """Start the servers and the stack, feed every channel, wait for the outbox, and
    yield while the stack still runs; stop everything on exit. The children get
    ``environ`` (default: this process's) with the demo's settings over it. Raises
    ConfigError when a local server does not start."""
    from plaint.demo.imap_server import LocalImapServer
    from plaint.demo.loopback import free_port
    from plaint.demo.smtp_sink import SmtpSink
    from plaint.demo.twilio_standin import TwilioStandIn

    data_dir.mkdir(parents=True, exist_ok=True)
    password = os.urandom(8).hex()
    with contextlib.ExitStack() as servers:
        imap = LocalImapServer(username=_USER, password=password)
        twilio, smtp = TwilioStandIn(state=data_dir / "twilio.json"), SmtpSink()
        # The servers boot while the database is migrated; the workers start once they
        # answer (a poller finding no IMAP server would log connection errors).
        for server in (imap, twilio, smtp):
            server.launch()
            servers.callback(server.stop)
        mails = 0

        def servers_ready() -> None:
            nonlocal mails
            for server in (imap, twilio, smtp):
                server.wait_ready()  # raises ConfigError if it did not start
            mails = _seed(imap)

        web_url = f"http://127.0.0.1:{free_port()}"
        outside = {**twilio.environ(public_url=web_url), **smtp.environ(), _PASSWORD_ENV: password}
        base = os.environ if environ is None else environ
        children = _children_environ(base, data_dir=data_dir, imap_port=imap.port,
                                     web_url=web_url, outside=outside)  # fmt: skip
        with _stack(children, before_start=servers_ready) as (settings, zone):
            outcome = _feed_and_wait(settings, zone=zone, web_url=web_url, twilio=twilio,
                                     mails=mails)  # fmt: skip
            if outcome.error is None:
                from plaint.demo.summary import delivered, summarise

                arrived = delivered(twilio.sent(), smtp.messages())
                residents, others = summarise(settings.database_url, arrived=arrived)
                outcome = DemoOutcome(outcome.fed, outcome.triaged, tuple(arrived),
                                      tuple(residents), tuple(others))  # fmt: skip
            yield RunningDemo(settings=settings, zone=zone, web_url=web_url, outcome=outcome)


def _children_environ(
    base: Mapping[str, str], *, data_dir: Path, imap_port: int, web_url: str,
    outside: Mapping[str, str],
) -> dict[str, str]:  # fmt: skip
    """Write the demo's business config into ``data_dir``; return the children's
    environment: ``base``, the ``outside`` servers' settings, and the demo's own (an
    embedded Redis, the web app on ``web_url``, a random secret key). The main worker runs
    one process unless ``base`` says otherwise: the default of two is for a site's
    traffic, the demo's twenty items need one, and every process costs a start-up."""
    calls = data_dir / _CALLS_FOLDER
    calls.mkdir(exist_ok=True)
    config_path = data_dir / "demo.toml"
    config_path.write_text(_config(imap_port=imap_port, calls=calls), "utf-8")
    environ = {
        "PLAINT_WORKER_PROCESSES": "1", **base, **outside,
        "PLAINT_DATA_DIR": str(data_dir), "PLAINT_CONFIG": str(config_path),
        "PLAINT_DATABASE_URL": f"sqlite:///{data_dir / 'plaint.db'}",
        "PLAINT_LOG_LEVEL": "WARNING", "PLAINT_SECRET_KEY": os.urandom(32).hex(),
        "PLAINT_WEB_HOST": "127.0.0.1", "PLAINT_WEB_PORT": web_url.rsplit(":", 1)[1],
    }  # fmt: skip
    environ.pop("PLAINT_REDIS_URL", None)
    return environ


def _seed(imap: LocalImapServer) -> int:
    from plaint.demo.mail import demo_messages

    client = imap.client()
    messages = list(demo_messages(start=datetime.now(UTC)))
    for raw in messages:
        client.append("INBOX", raw)
    client.logout()
    print(f"seeded a local IMAP server (127.0.0.1:{imap.port}) with {len(messages)} mails")
    return len(messages)


@contextlib.contextmanager
def _stack(
    environ: dict[str, str], *, before_start: Callable[[], None]
) -> Iterator[tuple[Settings, ZoneInfo]]:
    """The migrated database with the resident directory imported, then
    ``before_start()``, then the running stack (web included); yields the settings and
    the company's time zone."""
    from plaint.config import load_config, load_settings
    from plaint.demo.feed import import_directory
    from plaint.workers.stack import open_stack

    settings = load_settings(environ)
    config = load_config(settings.config_path)
    _print_calendar_notes(config)
    zone = config.timezone
    with open_stack(settings, environ, web=True) as stack:
        import_directory(settings.database_url)
        before_start()
        thread = threading.Thread(target=stack.supervisor.run, name="supervisor")
        thread.start()
        try:
            yield settings, zone
        finally:
            stack.supervisor.stop()
            thread.join()


def _print_calendar_notes(config: Config) -> None:
    """Print the calendar notices of ``plaint run`` (a provisional year), one short line
    each: the demo's children do not log them, and its user needs only the gist."""
    from plaint.config.calendars import calendar_notices

    today = datetime.now(config.timezone).date()
    for notice in calendar_notices(config.calendar, today=today):
        print(f"note: {notice.split(':', 1)[0]} (plaint config check tells more)")


def _feed_and_wait(
    settings: Settings, *, zone: ZoneInfo, web_url: str, twilio: TwilioStandIn, mails: int
) -> DemoOutcome:
    """Feed every channel and wait (:func:`_feed`), probing the database through one
    engine whose transactions only read: a probe that opened an engine each time and took
    SQLite's write lock (a writer's BEGIN IMMEDIATE) four times a second queued the
    workers' triage behind it."""
    import httpx

    from plaint.models import create_db_engine, read_session_factory

    engine = create_db_engine(settings.database_url)
    try:
        # One HTTP client: each new one loads the CA bundle (a tenth of a second of CPU).
        with httpx.Client(timeout=1.0) as http:
            return _feed(settings, read_session_factory(engine), http, zone=zone,
                         web_url=web_url, twilio=twilio, mails=mails)  # fmt: skip
    finally:
        engine.dispose()


def _feed(
    settings: Settings, reader: sessionmaker[Session], http: httpx.Client, *,
    zone: ZoneInfo, web_url: str, twilio: TwilioStandIn, mails: int,
) -> DemoOutcome:  # fmt: skip
    """The mails first (so that a resident's SMS finds the ticket their mail opened),
    then the SMS and the call-centre CSV, then the desk's reply; then the outbox."""
    from plaint.demo.feed import drop_calls, post_texts, reply_as_desk
    from plaint.demo.residents import CALLS, REPLY, TEXTS, call_centre_csv

    deadline = time.monotonic() + DEMO_TIMEOUT_SECONDS
    done = _wait_for_inbox(reader, expected=mails, deadline=deadline)
    if done < mails:
        return DemoOutcome(mails, done, error=f"only {done} of {mails} mails were triaged")
    if not _probe(lambda: _answers(http, f"{web_url}/healthz"), deadline):
        return DemoOutcome(mails, done, error="the demo's web app did not come up")
    texts = post_texts(web_url=web_url, public_url=web_url, twilio=twilio)
    drop_calls(settings.data_dir / _CALLS_FOLDER, call_centre_csv(now=datetime.now(UTC),
               zone=zone), name="calls-demo.csv")  # fmt: skip
    print(f"posted {texts} signed SMS to the SMS webhook; dropped a call-centre CSV with "
          f"{len(CALLS)} calls into {_CALLS_FOLDER}/", flush=True)  # fmt: skip
    fed = mails + texts + len(CALLS)
    done = _wait_for_inbox(reader, expected=fed, deadline=deadline)
    if done < fed:
        return DemoOutcome(fed, done, error=f"only {done} of {fed} items were triaged")
    number = _ticket_of(reader, phone=TEXTS[0].phone)
    reply_as_desk(web_url=web_url, database_url=settings.database_url, desk=DEMO_DESK,
                  number=number, text=REPLY)  # fmt: skip
    print(f"the demo desk replied to {number} through the staff API", flush=True)
    if not _probe(lambda: _outbox_empty(reader), deadline):
        return DemoOutcome(fed, done, error="the residents' notifications were not all sent")
    return DemoOutcome(fed, done)


def _probe(condition: Callable[[], bool], deadline: float) -> bool:
    """Whether ``condition`` held before ``deadline`` (checked every _POLL_SECONDS)."""
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(_POLL_SECONDS)
    return True


def _answers(http: httpx.Client, url: str) -> bool:
    import httpx

    try:
        return http.get(url).status_code == 200
    except httpx.HTTPError:
        return False


def _scalar(reader: sessionmaker[Session], query: Any) -> Any:
    with reader() as session:
        return session.execute(query).scalar()


def _wait_for_inbox(reader: sessionmaker[Session], *, expected: int, deadline: float) -> int:
    """Block until ``expected`` inbox rows are triaged or ``deadline`` passes; show
    progress; return how many were triaged."""
    from sqlalchemy import func, select

    from plaint.models import Inbox, InboxStatus

    query = select(func.count()).where(Inbox.status != InboxStatus.PENDING)
    shown = -1

    def triaged() -> bool:
        nonlocal shown
        done = int(_scalar(reader, query))
        if done != shown:
            print(f"triaged {done}/{expected}", flush=True)
            shown = done
        return done >= expected

    _probe(triaged, deadline)
    return shown


def _outbox_empty(reader: sessionmaker[Session]) -> bool:
    """Whether every notification to a resident was sent or failed for good."""
    from sqlalchemy import func, select

    from plaint.models import Notification, NotificationStatus

    waiting = (NotificationStatus.PENDING.value, NotificationStatus.SENDING.value)
    query = select(func.count()).where(
        Notification.recipient_kind == "resident", Notification.status.in_(waiting)
    )
    return int(_scalar(reader, query)) == 0


def _ticket_of(reader: sessionmaker[Session], *, phone: str) -> str:
    from sqlalchemy import select

    from plaint.models import Resident, Ticket

    query = (select(Ticket.number).join(Resident, Ticket.resident_id == Resident.id)
             .where(Resident.phone == phone).order_by(Ticket.id))  # fmt: skip
    return str(_scalar(reader, query))


def _serve_until_interrupted(demo: RunningDemo) -> int:
    """Print the pages' URL and a one-time sign-in link for the demo desk, then block
    until SIGINT (Ctrl-C)."""
    from plaint.demo.feed import staff_token

    token = staff_token(demo.settings.database_url, DEMO_DESK)
    base = demo.web_url
    print(f"\nthe pages: {base}/today\nsign in once as the demo desk ({DEMO_DESK}): "
          f"{base}/signin?token={token}\nCtrl-C stops the demo", flush=True)  # fmt: skip
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print("stopped", flush=True)
    return 0


def _print_tickets(settings: Settings, tz: ZoneInfo) -> None:
    from sqlalchemy import select

    from plaint.cli.output import print_table
    from plaint.cli.tickets import TICKET_HEADERS, ticket_rows
    from plaint.models import Ticket, create_db_engine, session_factory

    engine = create_db_engine(settings.database_url)
    with session_factory(engine)() as session:
        tickets = session.scalars(select(Ticket).order_by(Ticket.id)).all()
        print()
        rows = ticket_rows(tickets, tz)
        table = [
            [_short(t.subject or t.messages[0].body), t.channel, *row]
            for t, row in zip(tickets, rows, strict=True)
        ]
        print_table(("subject", "channel", *TICKET_HEADERS), table)
        messages = sum(len(t.messages) for t in tickets)
        print(f"\n{len(tickets)} tickets from {messages} messages")
    engine.dispose()


def _short(text: str, width: int = 24) -> str:
    """Return ``text`` cut to ``width`` terminal columns, with an ellipsis if it was cut."""
    from rich.cells import cell_len, set_cell_size

    return text if cell_len(text) <= width else set_cell_size(text, width - 1).rstrip() + "…"
