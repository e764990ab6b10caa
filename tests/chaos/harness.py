"""The chaos suite's one harness: plaint's process tree on real servers (loopback only), a
mixed load over every inbound channel, and the exactly-once counts every scenario ends on.

:class:`Tree` runs plaint's own :class:`~plaint.workers.supervisor.Supervisor` over the
processes a scenario kills: the poller (``intake`` worker), the triage ``worker``, the
``dispatcher`` (a worker of the outbox queue only), the ``clock`` and ``web``. Redis is a
:class:`~tests.servers.RedisServer` the scenario may restart or empty; the database is
PostgreSQL (several processes write at once).

:class:`Load` feeds, round by round: a mail on IMAP, an SMS by signed webhook to the web
process, an SMS only the Twilio poller sees, a call-centre CSV row dropped in the folder and
an AMQP call event (published twice: a redelivery); later, replies (a mail reply, a second
SMS) once their original's ticket exists. :meth:`Tree.settle` waits until every item is
triaged and every notification sent, and :func:`verify` counts: one inbox row per item,
each one message on its resident's ticket, one ticket per resident, every notification
sent and received exactly once (Twilio stand-in, SMTP server), no SLA mark repeated.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from kombu import Connection, Exchange
from kombu import Producer as AmqpProducer
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from twilio.request_validator import RequestValidator

from plaint.models import Inbox, InboxStatus, Message, Notification, create_db_engine
from plaint.models.migrate import upgrade
from plaint.queue.broker import QUEUES
from plaint.workers.supervisor import ChildSpec, Supervisor
from tests.artifacts import artifact_dir
from tests.channels.test_cdr_folder import row
from tests.chaos.accounting import Tally, observe, tally
from tests.conftest import Mailbox, new_mailbox
from tests.proctools import children, wait_for
from tests.servers import (
    PostgresServer,
    RedisServer,
    free_port,
    running_dovecot,
    running_postgres,
    running_rabbitmq,
)
from tests.smtp import SmtpServer, running_smtp
from tests.twilio_fixture import ACCOUNT, SENDER, TOKEN, StandIn, running_standin
from tests.workers.test_flow import complaint

REPO = Path(__file__).resolve().parents[2]
PUBLIC = "https://plaint.example.com"
PROBE_SECONDS = 0.2
# Distinct problems, so that no two residents' complaints look like one incident.
PROBLEMS = ["电梯困人了", "楼道灯不亮", "水管漏水", "门禁坏了", "垃圾没人清运", "车库积水",
            "暖气不热", "窗户玻璃碎了", "下水道堵了", "外墙瓷砖脱落", "消防通道被堵",
            "楼上噪音太大"]  # fmt: skip


@dataclass
class Rig:
    """The servers and folders plaint talks to in a scenario."""

    db_url: str
    redis_url: str
    mailbox: Mailbox
    standin: StandIn
    smtp: SmtpServer
    amqp_url: str
    queue: str
    home: Path
    imap_port: int | None = None  # a proxy in front of Dovecot, if the scenario has one

    @property
    def drop(self) -> Path:
        return self.home / "drop"

    def toml(self) -> str:
        m = self.mailbox
        return f"""
[[sources]]
name = "mail"
kind = "imap"
host = "{m.host}"
port = {self.imap_port or m.port}
tls = false
username = "{m.username}"
password_env = "TEST_IMAP_PASSWORD"
folder = "{m.folder}"
poll_interval_seconds = 1
[[sources]]
name = "sms"
kind = "twilio-sms"
poll_interval_seconds = 1
[[sources]]
name = "desk"
kind = "cdr-folder"
path = "{self.drop}"
format = "asterisk"
poll_interval_seconds = 1
[[sources]]
name = "pbx"
kind = "amqp"
url_env = "TEST_AMQP_URL"
queue = "{self.queue}"
exchange = "{self.queue}.x"
poll_interval_seconds = 1
[messages]
quiet_hours = "off"
"""

    def environ(self, web_port: int) -> dict[str, str]:
        config = self.home / "plaint.toml"
        config.write_text(self.toml(), "utf-8")
        return {
            **os.environ, "PYTHONPATH": str(REPO), "PLAINT_DATA_DIR": str(self.home / "data"),
            "PLAINT_DATABASE_URL": self.db_url, "PLAINT_REDIS_URL": self.redis_url,
            "PLAINT_CONFIG": str(config), "TEST_IMAP_PASSWORD": self.mailbox.password,
            "TEST_AMQP_URL": self.amqp_url, "PLAINT_WORKER_PROCESSES": "1",
            "PLAINT_WORKER_THREADS": "2", "PLAINT_LOG_LEVEL": "WARNING",
            # A dispatcher killed mid-batch holds its rows this long, not 5 minutes.
            "PLAINT_OUTBOX_LEASE_SECONDS": "10",
            "PLAINT_WEB_PORT": str(web_port), "PLAINT_TWILIO_ACCOUNT_SID": ACCOUNT,
            "PLAINT_TWILIO_AUTH_TOKEN": TOKEN, "PLAINT_TWILIO_FROM": SENDER,
            "PLAINT_TWILIO_API_URL": self.standin.url, "PLAINT_PUBLIC_URL": PUBLIC,
            **self.smtp.environ(),
        }  # fmt: skip


def make_rig(
    db_url: str, redis: RedisServer, mailbox: Mailbox, standin: StandIn, smtp: SmtpServer,
    amqp_url: str, home: Path,
) -> Rig:  # fmt: skip
    """A rig on these servers, with an AMQP queue name of its own."""
    return Rig(db_url=db_url, redis_url=redis.url, mailbox=mailbox, standin=standin, smtp=smtp,
               amqp_url=amqp_url, queue=f"chaos-{uuid.uuid4().hex[:8]}", home=home)  # fmt: skip


@dataclass
class Servers:
    """A rig with the PostgreSQL and Redis servers behind it (to pause or restart)."""

    rig: Rig
    postgres: PostgresServer
    redis: RedisServer


@contextlib.contextmanager
def running_rig(home: Path) -> Iterator[Servers]:
    """Start every server a rig needs, each of its own, for the length of the block:
    the chaos suite's fixtures outside pytest (``bench/soak.py``). A missing server
    raises pytest's skip exception, as in the suite."""
    with contextlib.ExitStack() as stack:
        postgres = stack.enter_context(running_postgres("soak-pg"))
        (home / "redis").mkdir(parents=True, exist_ok=True)
        redis = RedisServer(home / "redis")
        redis.start()
        stack.callback(redis.stop)
        mailbox = new_mailbox(stack.enter_context(running_dovecot()))
        (home / "twilio").mkdir(exist_ok=True)
        standin = stack.enter_context(running_standin(home / "twilio"))
        smtp = stack.enter_context(running_smtp())
        amqp_url = stack.enter_context(running_rabbitmq()).url
        url = postgres.create_database("soak")
        yield Servers(make_rig(url, redis, mailbox, standin, smtp, amqp_url, home), postgres, redis)


def wait(predicate: Callable[[], bool], *, seconds: float, what: str) -> float:
    """Probe until ``predicate`` holds (a database query each time: not too often)."""
    return wait_for(predicate, seconds=seconds, what=what, probe=PROBE_SECONDS)


class Tree:
    """plaint's processes for one scenario, supervised (what dies is restarted)."""

    NAMES = ("intake", "worker", "dispatcher", "clock", "web")

    def __init__(self, rig: Rig) -> None:
        self.rig = rig
        self.web_port = free_port()
        env = rig.environ(self.web_port)
        (rig.home / "data").mkdir(exist_ok=True)
        rig.drop.mkdir(exist_ok=True)
        command = [sys.executable, "-m", "plaint"]
        work = [q for q in QUEUES if q not in ("intake", "outbox")]
        self.supervisor = Supervisor([
            ChildSpec("intake", [*command, "worker", "--queues", "intake"], env),
            ChildSpec("worker", [*command, "worker", "--queues", *work], env),
            ChildSpec("dispatcher", [*command, "worker", "--queues", "outbox"], env),
            ChildSpec("clock", [*command, "clock"], env),
            ChildSpec("web", [*command, "web"], env),
        ])  # fmt: skip
        self.engine = create_db_engine(rig.db_url)
        upgrade(self.engine)
        self.kills: Counter[str] = Counter()
        self._thread = threading.Thread(target=self.supervisor.run, daemon=True)

    def __enter__(self) -> Tree:
        self._thread.start()
        up = wait(self._web_ready, seconds=120, what="the web process ready")
        print(f"\nchaos tree up in {up:.1f} s", flush=True)
        return self

    def __exit__(self, *_: object) -> None:
        started = time.monotonic()
        self.supervisor.stop()
        self._thread.join(timeout=120)
        self.engine.dispose()
        print(f"\nchaos tree down in {time.monotonic() - started:.1f} s", flush=True)

    def _web_ready(self) -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{self.web_port}/healthz").status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self, name: str) -> bool:
        """``kill -9`` the process doing ``name``'s work (a dramatiq worker's consumer
        process, or the clock itself); False if it is between restarts."""
        pid = self.supervisor.pid(name)
        if pid is None:
            return False
        target = (children(pid) or [pid])[0] if name not in ("clock", "web") else pid
        try:
            os.kill(target, 9)
        except ProcessLookupError:
            return False
        self.kills[name] += 1
        return True

    def post_sms(self, params: dict[str, str], *, seconds: float = 60) -> None:
        """POST a signed SMS webhook to the web process, again until it answers 200 (as
        Twilio retries a failed webhook)."""
        path = "/webhooks/twilio/sms"
        signature = RequestValidator(TOKEN).compute_signature(PUBLIC + path, params)

        def posted() -> bool:
            try:
                response = httpx.post(
                    f"http://127.0.0.1:{self.web_port}{path}", data=params,
                    headers={"X-Twilio-Signature": signature}, timeout=10,
                )  # fmt: skip
            except httpx.HTTPError:
                return False
            return response.status_code == 200

        wait(posted, seconds=seconds, what="the SMS webhook answered 200")

    def scalar(self, query: Any) -> Any:
        with self.engine.connect() as connection:
            return connection.execute(query).scalar_one()

    def settle(self, load: Load, *, seconds: float = 240, quarantined: int = 0) -> float:
        """Wait until every item of ``load`` is in the inbox and triaged (``quarantined``
        of them quarantined) and no notification is left to send; return the time."""

        def done() -> bool:
            try:
                load.send_replies(self)
                rows = self.scalar(select(func.count()).select_from(Inbox))
                open_rows = self.scalar(select(func.count()).select_from(Inbox).where(
                    Inbox.status.not_in([InboxStatus.DONE, InboxStatus.QUARANTINED])))  # fmt: skip
                unsent = self.scalar(select(func.count()).select_from(Notification).where(
                    Notification.status.in_(["pending", "sending"])))  # fmt: skip
            except Exception:  # the database is down in a scenario: probe again
                return False
            return rows == load.items + quarantined and not open_rows and not unsent \
                and not load.replies  # fmt: skip

        return wait(done, seconds=seconds, what="every item triaged and every notice sent")


@dataclass
class Load:
    """A mixed load, fed round by round; it knows what it sent."""

    rig: Rig
    items: int = 0
    residents: int = 0
    replies: list[tuple[str, int]] = field(default_factory=list)  # (kind, round) pending
    sent_replies: int = 0

    def feed(self, tree: Tree, rounds: int, *, pace: float = 0.5,
             during: Callable[[int], None] | None = None) -> None:  # fmt: skip
        """Feed ``rounds`` rounds, ``pace`` seconds apart; ``during(n)`` after each."""
        for n in range(1, rounds + 1):
            started = time.monotonic()
            self.round(tree, n)
            if during is not None:
                during(n)
            self.send_replies(tree)
            time.sleep(max(0.0, pace - (time.monotonic() - started)))  # pacing the load

    def round(self, tree: Tree, n: int) -> None:
        text = PROBLEMS[n % len(PROBLEMS)]
        self.rig.mailbox.append(complaint(n, f"{n}号楼{n}01室{text}"))
        pushed = self._seed_sms(f"+86139{n:08d}", f"{n + 100}号楼{text}")
        params = {"MessageSid": pushed["sid"], "From": pushed["from"], "To": SENDER,
                  "Body": pushed["body"], "NumMedia": "0", "AccountSid": ACCOUNT}  # fmt: skip
        tree.post_sms(params)
        self._seed_sms(f"+86137{n:08d}", f"{n + 200}号楼{text}")
        tmp = self.rig.home / f"desk-{n}.csv"
        tmp.write_text(row(n, notes=f"{n + 300}号楼{text}") + "\n", "utf-8")
        tmp.replace(self.rig.drop / f"Master-{n:04d}.csv")
        event = {"call_id": f"cti-{n}", "caller": f"1360000{n:04d}", "status": "completed",
                 "agent": "8001", "notes": f"{n + 400}号楼{text}"}  # fmt: skip
        self.publish([json.dumps(event, ensure_ascii=False).encode()] * 2, f"e{n}")
        self.items += 5
        self.residents += 5
        if n % 3 == 0:
            self.replies += [("mail", n), ("sms", n)]

    def _seed_sms(self, sender: str, body: str) -> dict[str, Any]:
        fields = {"from": sender, "to": SENDER, "body": body, "direction": "inbound",
                  "status": "received"}  # fmt: skip
        return dict(self.rig.standin.control("items/Messages", fields))

    def publish(self, bodies: list[bytes], message_id: str) -> None:
        """Publish ``bodies`` on the AMQP source's exchange, all with ``message_id``."""
        with Connection(self.rig.amqp_url) as connection:
            producer = AmqpProducer(connection.default_channel,
                                    exchange=Exchange(f"{self.rig.queue}.x"))  # fmt: skip
            for body in bodies:
                producer.publish(body, routing_key=self.rig.queue, content_encoding="binary",
                                 message_id=message_id)  # fmt: skip

    def send_replies(self, tree: Tree) -> None:
        """Send each pending reply whose original already has its ticket: a resident
        answers after the acknowledgement, not before the complaint is read."""
        for kind, n in list(self.replies):
            sender = f"resident{n}@example.com" if kind == "mail" else f"+86137{n:08d}"
            try:
                has_ticket = tree.scalar(select(func.count()).select_from(Message).where(
                    Message.sender == sender))  # fmt: skip
            except OperationalError:  # the database is down in a scenario: later
                return
            if not has_ticket:
                continue
            if kind == "mail":
                self.rig.mailbox.append(complaint(
                    1000 + n, "还没修好，请尽快处理", In_Reply_To=f"<c{n}@example.com>",
                ).replace(f"resident{1000 + n}@".encode(), f"resident{n}@".encode()))  # fmt: skip
            else:
                self._seed_sms(sender, "还没有人来修，请尽快")
            self.replies.remove((kind, n))
            self.items += 1
            self.sent_replies += 1


def verify(tree: Tree, load: Load, *, quarantined: int = 0) -> dict[str, int]:
    """Assert the exactly-once counts (:mod:`tests.chaos.accounting`) and that every
    notification was sent; return the figures."""
    counts = account(tree, load, quarantined=quarantined)
    assert counts.clean, counts.problems()
    assert not counts.figures["failed_notices"], "a notification failed"
    return {**counts.figures, "replies": load.sent_replies}


def account(tree: Tree, load: Load, *, quarantined: int = 0) -> Tally:
    """The lost and duplicated effects of ``load`` so far (no assertion)."""
    seen = observe(tree.engine, texts=tree.rig.standin.sent(), mails=tree.rig.smtp.sink.ids())
    return tally(seen, items=load.items, residents=load.residents, quarantined=quarantined)


def run_cli(rig: Rig, tree: Tree, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``plaint ARGS`` with the tree's environment."""
    env = rig.environ(tree.web_port)
    return subprocess.run([sys.executable, "-m", "plaint", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip


def seeded(seed: int) -> random.Random:
    """The scenario's random source: a failing run is replayed with its seed."""
    return random.Random(seed)


@dataclass
class Figures:
    """What a scenario reports for the note: printed (seen with ``pytest -s``) and kept as
    ``tests/artifacts/chaos/NAME.json``."""

    name: str
    values: dict[str, Any] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    def report(self, **values: Any) -> None:
        self.values.update(values, seconds=round(time.monotonic() - self.started, 1))
        line = json.dumps(self.values)
        print(f"\nchaos figures {self.name}: {line}", flush=True)
        (artifact_dir("chaos") / f"{self.name}.json").write_text(line + "\n")
