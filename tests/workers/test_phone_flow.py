"""End to end on real servers: a call-centre CSV row and an AMQP call event each become
exactly one ticket through the real poll and triage actors (Redis, SQLite and PostgreSQL,
RabbitMQ); malformed ones end quarantined, naming their line, and never block the rest."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from kombu import Connection, Exchange, Producer, Queue

from plaint.channels.phone.parse import CALLBACK_BODY
from plaint.models import Inbox, InboxStatus
from tests.channels.test_cdr_folder import row
from tests.plant import Plant

COMPLAINT = "3号楼电梯困人了，快来人"
MISSED = ('"","13900139000","8001","from-pstn","""Li"" <13900139000>","SIP/trunk-9","",'
          '"Queue","support","2026-11-02 09:40:00","","2026-11-02 09:41:00",60,0,'
          '"NO ANSWER","DOCUMENTATION","1700099.0",""')  # fmt: skip


def folder_toml(folder: Path) -> str:
    return f"""
[[sources]]
name = "desk"
kind = "cdr-folder"
path = "{folder}"
format = "asterisk"
poll_interval_seconds = 5
"""


def amqp_toml(queue: str) -> str:
    return f"""
[[sources]]
name = "pbx"
kind = "amqp"
url_env = "TEST_AMQP_URL"
queue = "{queue}"
exchange = "{queue}.x"
"""


def statuses(plant: Plant) -> list[tuple[str, str | None]]:
    return [(i.status, i.error) for i in plant.inbox() if i.source != "mail"]


def test_a_csv_row_becomes_one_ticket_and_a_missed_call_a_call_back(
    make_plant: Callable[..., Plant], tmp_path: Path
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    plant = make_plant(folder_toml(drop))
    export = "\n".join([row(1, notes=COMPLAINT), '"broken","row', MISSED]) + "\n"
    (drop / "Master.csv").write_text(export, "utf-8")
    plant.poll("desk")

    by_caller = {t.messages[0].sender: t for t in plant.tickets()}
    assert len(by_caller) == 2
    complaint, call_back = by_caller["+8613800130001"], by_caller["+8613900139000"]
    assert complaint.channel == "phone"
    assert complaint.messages[0].sender == "+8613800130001"
    assert complaint.messages[0].body == COMPLAINT
    assert complaint.sub_topic == "lift"
    assert call_back.messages[0].body == CALLBACK_BODY
    assert call_back.first_response_due is not None
    assert sorted(statuses(plant), key=str) == sorted([
        ("done", None), ("done", None),
        ("quarantined", "bad_cdr_row: Master.csv line 2: bad CSV quoting (unexpected end of data)"),
    ], key=str)  # fmt: skip
    assert not (drop / "Master.csv").exists()
    assert (drop / "processed" / "Master.csv").exists()

    (drop / "Master.csv").write_text(export, "utf-8")  # dropped again
    os.utime(drop / "Master.csv")
    plant.poll("desk")
    assert len(plant.tickets()) == 2
    assert len(statuses(plant)) == 3
    assert not (drop / "Master.csv").exists()


def test_an_amqp_event_becomes_one_ticket_and_a_malformed_one_is_dead_lettered(
    make_plant: Callable[..., Plant], rabbitmq_url: str
) -> None:
    queue = f"calls-{os.getpid()}-{id(make_plant)}"
    plant = make_plant(amqp_toml(queue), environ={"TEST_AMQP_URL": rabbitmq_url})
    plant.poll("pbx")  # declares the queue
    event = {"call_id": "cti-1", "caller": "13800138000", "status": "completed",
             "agent": "8001", "notes": "地下车库漏水严重"}  # fmt: skip
    with Connection(rabbitmq_url) as connection:
        producer = Producer(connection.default_channel, exchange=Exchange(f"{queue}.x"))
        for body, message_id in [(json.dumps(event, ensure_ascii=False).encode(), "e1"),
                                 (json.dumps(event, ensure_ascii=False).encode(), "e1"),
                                 (b"{not json", None)]:  # fmt: skip
            properties = {"message_id": message_id} if message_id else {}
            producer.publish(body, routing_key=queue, content_encoding="binary", **properties)
    plant.poll("pbx")

    [ticket] = plant.tickets()
    assert (ticket.channel, ticket.messages[0].sender) == ("phone", "+8613800138000")
    assert sorted(statuses(plant), key=str) == sorted([
        ("done", None), ("quarantined", f"bad_json: AMQP message on {queue}"),
    ], key=str)  # fmt: skip
    assert plant.count(Inbox) == 2  # the redelivered event is the same row
    with Connection(rabbitmq_url) as connection:
        dead = Queue(f"{queue}.dead", Exchange(f"{queue}.x.dlx", type="fanout"))
        message = dead(connection.default_channel).get(no_ack=True)
        assert message is not None
        assert bytes(message.body) == b"{not json"
    plant.poll("pbx")
    assert [i.status for i in plant.inbox()].count(InboxStatus.DONE) == 1
