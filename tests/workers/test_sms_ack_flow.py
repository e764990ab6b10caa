"""Issue 10's "done when", end to end on real Redis and SQLite/PostgreSQL with plaint's
real worker and the Twilio stand-in (and RabbitMQ): an SMS by webhook (retried by Twilio)
and by pull, a voicemail transcription, a call-centre CSV row and an AMQP call event each
become exactly one ticket, and each resident gets exactly one acknowledgement SMS at the
stand-in — also when a dispatcher process is killed (-9) between the stand-in accepting an
acknowledgement and its commit."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from kombu import Connection, Exchange, Producer

from plaint.models import Notification
from plaint.service.outbox import RetryPolicy
from plaint.workers import runtime
from tests.channels.test_cdr_folder import row
from tests.plant import Plant
from tests.twilio_fixture import SENDER, StandIn
from tests.workers.test_phone_flow import amqp_toml, folder_toml
from tests.workers.test_twilio_flow import SOURCES, _env, _inbound, _webhook

REPO = Path(__file__).resolve().parents[2]
WEB, PULLED, VOICEMAIL = "+8613800000001", "+8613800000002", "+8613800000004"
CSV_CALLER, AMQP_CALLER = "+8613800130001", "+8613800138000"
RESIDENTS = {WEB, PULLED, VOICEMAIL, CSV_CALLER, AMQP_CALLER}


def _feed(plant: Plant, standin: StandIn, drop: Path, rabbitmq_url: str, queue: str) -> None:
    """One item on each channel; the webhook is posted twice (a Twilio retry)."""
    post = _webhook(plant)
    pushed = _inbound(standin, WEB, "5号楼门禁坏了，进不去")
    params = {"MessageSid": pushed["sid"], "From": WEB, "To": SENDER, "Body": pushed["body"],
              "NumMedia": "0", "AccountSid": standin.settings().account_sid}  # fmt: skip
    post(params)
    post(params)
    _inbound(standin, PULLED, "楼道灯坏了好几天了")
    call, recording = "CA" + "2" * 32, "RE" + "2" * 32
    standin.control("items/Calls", {"sid": call, "from": VOICEMAIL, "to": SENDER,
                                    "direction": "inbound", "status": "completed"})  # fmt: skip
    standin.control("items/Recordings", {"sid": recording, "call_sid": call})
    standin.control("items/Transcriptions", {
        "sid": "TR" + "2" * 32, "recording_sid": recording, "status": "completed",
        "transcription_text": "地下车库一直在漏水，请尽快处理",
    })  # fmt: skip
    (drop / "Master.csv").write_text(row(1, notes="3号楼电梯困人了，快来人") + "\n", "utf-8")
    plant.poll("pbx")  # declares the queue
    event = {"call_id": "cti-1", "caller": "13800138000", "status": "completed",
             "agent": "8001", "notes": "垃圾好几天没人清运了"}  # fmt: skip
    with Connection(rabbitmq_url) as connection:
        producer = Producer(connection.default_channel, exchange=Exchange(f"{queue}.x"))
        for _ in range(2):  # redelivered: the same event
            producer.publish(json.dumps(event, ensure_ascii=False).encode(), routing_key=queue,
                             content_encoding="binary", message_id="e1")  # fmt: skip
    for _ in range(2):  # a second round finds nothing new
        for source in ("sms", "calls", "desk", "pbx"):
            plant.poll(source)
    # Triage kicks the dispatcher at most once per debounce interval; the clock's periodic
    # run sends what a debounced kick left.
    plant.actors.dispatch_outbox.send()
    plant.drain()


def _acks(standin: StandIn) -> Counter[str]:
    return Counter(sent["to"] for sent in standin.sent())


def _plant(
    make_plant: Callable[..., Plant], standin: StandIn, tmp_path: Path, rabbitmq_url: str
) -> tuple[Plant, Path, str]:
    drop = tmp_path / "drop"
    drop.mkdir()
    queue = f"calls-{os.getpid()}-{tmp_path.name}"
    toml = SOURCES + folder_toml(drop) + amqp_toml(queue)
    plant = make_plant(toml, environ={**_env(standin), "TEST_AMQP_URL": rabbitmq_url})
    return plant, drop, queue


def test_each_channel_makes_one_ticket_and_each_resident_one_acknowledgement_sms(
    make_plant: Callable[..., Plant], standin: StandIn, tmp_path: Path, rabbitmq_url: str
) -> None:
    plant, drop, queue = _plant(make_plant, standin, tmp_path, rabbitmq_url)
    assert set(plant.rt.senders) - {"webhook"} == {"sms"}  # no SMTP: SMS is the only way out
    _feed(plant, standin, drop, rabbitmq_url, queue)
    tickets = plant.tickets()
    assert sorted(t.messages[0].sender for t in tickets) == sorted(RESIDENTS)
    assert _acks(standin) == Counter(RESIDENTS)  # one SMS each
    by_number = {sent["to"]: sent["body"] for sent in standin.sent()}
    for ticket in tickets:
        assert ticket.number in by_number[ticket.messages[0].sender]
    plant.actors.dispatch_outbox.send()  # the clock's next run sends nothing more
    plant.drain()
    assert _acks(standin) == Counter(RESIDENTS)
    with plant.sessions() as session:
        statuses = {(n.status, n.channel, n.provider_status) for n in session.query(Notification)}
    assert statuses == {("sent", "sms", "queued")}


def test_a_dispatcher_killed_after_the_standin_accepted_sends_nothing_twice(
    make_plant: Callable[..., Plant], standin: StandIn, tmp_path: Path, rabbitmq_url: str,
    db_url: str,
) -> None:  # fmt: skip
    plant, drop, queue = _plant(make_plant, standin, tmp_path, rabbitmq_url)
    texting = plant.rt
    plant.rt = dataclasses.replace(plant.rt, senders={})  # the acks wait, held
    runtime.install(plant.rt)
    _feed(plant, standin, drop, rabbitmq_url, queue)
    assert len(plant.tickets()) == len(RESIDENTS)
    assert standin.sent() == []
    # A dispatcher process takes the (now due) acks, the stand-in accepts one, and the
    # process is killed before it can record it.
    plant.clock.set(plant.clock.now + RetryPolicy().hold + timedelta(seconds=1))
    go = tmp_path / "go"
    go.touch()
    proc = subprocess.run(
        [sys.executable, "-m", "tests.service.dispatch_proc", db_url, standin.url, str(go),
         "--die-after-send", f"--at={plant.clock.now.isoformat()}",
         f"--zone={plant.rt.config.timezone}"],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == -9
    [accepted] = standin.sent()
    # After its lease the worker's dispatcher asks Twilio before sending anything again.
    plant.rt = texting
    runtime.install(plant.rt)
    plant.clock.set(plant.clock.now + RetryPolicy().lease + timedelta(seconds=1))
    plant.actors.dispatch_outbox.send()
    plant.drain()
    assert _acks(standin) == Counter(RESIDENTS)
    with plant.sessions() as session:
        rows = {n.provider_id: n for n in session.query(Notification)}
    assert rows[accepted["sid"]].attempts == 2  # found at Twilio, not resent
    assert {(n.status, n.channel) for n in rows.values()} == {("sent", "sms")}
