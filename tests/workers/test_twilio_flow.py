"""End to end on real Redis (and SQLite, PostgreSQL): SMS by webhook and by pull, MMS
media, missed calls and voicemail transcriptions from the Twilio stand-in each become
exactly one ticket, through plaint's real worker."""

from __future__ import annotations

import base64
import json
import warnings
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from twilio.request_validator import RequestValidator

from plaint.channels.sms.parse import parse_sms
from plaint.inbound import Attachment
from plaint.models import Inbox
from plaint.web.app import create_app
from tests.plant import Plant
from tests.twilio_fixture import ACCOUNT, SENDER, TOKEN, StandIn

with warnings.catch_warnings():
    from starlette.exceptions import StarletteDeprecationWarning

    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

PUBLIC = "https://plaint.example.com"
SOURCES = """
[[sources]]
name = "sms"
kind = "twilio-sms"
[[sources]]
name = "calls"
kind = "twilio-calls"
"""
WEB_RESIDENT, PULL_RESIDENT = "+8613800000001", "+8613800000002"
PHOTO = b"\xff\xd8jpeg-bytes"
CALLER, VOICEMAIL = "+8613800000003", "+8613800000004"


def _env(standin: StandIn) -> dict[str, str]:
    return {"PLAINT_TWILIO_ACCOUNT_SID": ACCOUNT, "PLAINT_TWILIO_AUTH_TOKEN": TOKEN,
            "PLAINT_TWILIO_FROM": SENDER, "PLAINT_TWILIO_API_URL": standin.url,
            "PLAINT_PUBLIC_URL": PUBLIC}  # fmt: skip


def _webhook(plant: Plant) -> Callable[[dict[str, str]], Any]:
    app = create_app(config=plant.rt.config, sessions=plant.sessions, redis_ready=lambda: True,
                     clock=plant.clock, twilio=plant.rt.settings.twilio,
                     enqueue=plant.rt.producer.triage)  # fmt: skip
    client = TestClient(app)

    def post(params: dict[str, str]) -> Any:
        signature = RequestValidator(TOKEN).compute_signature(
            f"{PUBLIC}/webhooks/twilio/sms", params
        )
        response = client.post("/webhooks/twilio/sms", data=params,
                               headers={"X-Twilio-Signature": signature})  # fmt: skip
        assert response.status_code == 200
        return response

    return post


def _inbound(standin: StandIn, sender: str, body: str, **extra: Any) -> dict[str, Any]:
    fields = {"from": sender, "to": SENDER, "body": body, "direction": "inbound",
              "status": "received", **extra}  # fmt: skip
    return dict(standin.control("items/Messages", fields))


def test_sms_and_calls_become_exactly_one_ticket_each(
    make_plant: Callable[..., Plant], standin: StandIn
) -> None:
    plant = make_plant(SOURCES, environ=_env(standin))
    post = _webhook(plant)
    # A text that Twilio both pushes (twice: a retry) and lists for the poller.
    pushed = _inbound(standin, WEB_RESIDENT, "5号楼门禁坏了，进不去")
    params = {"MessageSid": pushed["sid"], "From": WEB_RESIDENT, "To": SENDER,
              "Body": pushed["body"], "NumMedia": "0", "AccountSid": ACCOUNT}  # fmt: skip
    post(params)
    post(params)
    plant.drain()
    # A text only the poller sees, with a photo.
    pulled = _inbound(standin, PULL_RESIDENT, "楼道灯坏了，见照片", num_media="1")
    standin.control(f"media/{pulled['sid']}/ME1", content=PHOTO)
    # A missed call, and a voicemail transcribed.
    standin.control("items/Calls", {"sid": "CA" + "1" * 32, "from": CALLER, "to": SENDER,
                                    "direction": "inbound", "status": "no-answer"})  # fmt: skip
    standin.control("items/Calls", {"sid": "CA" + "2" * 32, "from": VOICEMAIL, "to": SENDER,
                                    "direction": "inbound", "status": "completed"})  # fmt: skip
    standin.control("items/Recordings", {"sid": "RE" + "2" * 32, "call_sid": "CA" + "2" * 32})
    standin.control("items/Transcriptions", {
        "sid": "TR" + "2" * 32, "recording_sid": "RE" + "2" * 32, "status": "completed",
        "transcription_text": "地下车库一直在漏水，请尽快处理",
    })  # fmt: skip
    for _ in range(2):  # a second round finds nothing new
        plant.poll("sms")
        plant.poll("calls")
    tickets = plant.tickets()
    by_channel = sorted((t.channel, t.messages[0].sender) for t in tickets)
    assert by_channel == [("phone", CALLER), ("phone", VOICEMAIL), ("sms", WEB_RESIDENT),
                          ("sms", PULL_RESIDENT)]  # fmt: skip
    assert all(len(t.messages) == 1 for t in tickets)
    with plant.sessions() as session:
        mms = session.scalar(select(Inbox).where(Inbox.external_id == pulled["sid"]))
        assert mms is not None
        message = parse_sms(mms.payload, received_at=mms.received_at)
    assert message.attachments == (Attachment("media0", "image/jpeg", len(PHOTO)),)
    assert base64.b64decode(json.loads(mms.payload)["Media"][0]["data"]) == PHOTO
