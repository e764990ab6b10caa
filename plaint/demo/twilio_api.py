"""The Twilio REST API stand-in's ASGI app (started by
:class:`plaint.demo.twilio_standin.TwilioStandIn`, which documents its use).

What it serves: Messages (create, list with paging and the To/From/DateSent filters,
fetch), their Media (list and content), Calls, Recordings and Transcriptions (list with
paging). Each resource starts from a minimal body, or, given ``shapes`` (a folder of
Twilio's published responses, e.g. ``../shared/eval/twilio/rest-responses``), from the
canned ``fetch`` body, with its own fields set. HTTP Basic auth with the account SID and
token it was started with. Control endpoints under ``/_control``: seed inbound items
(``items/{kind}``, ``media/{sid}/{media}``), read what was sent (``GET sent``), make the
next requests answer 429/5xx (with ``Retry-After``) or a Twilio error code (``faults``),
make the process die (``os._exit``) right after accepting the next message
(``die_after_accept``), or forget everything (``reset``). Its state is kept in a JSON
file, so a stand-in restarted after dying still knows what it accepted.

Run as ``python -m plaint.demo.twilio_api PORT STATE_FILE SID TOKEN [SHAPES_DIR]``.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import sys
import threading
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import uvicorn
from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse

from plaint.demo.loopback import LOOPBACK
from plaint.pipeline.smstext import segment_count

__all__ = ["KINDS", "State", "build_app", "main"]

PREFIX = "/2010-04-01/Accounts/{account}"
KINDS = {  # list key, canned file, id prefix
    "Messages": ("messages", "messages.json", "SM"),
    "Calls": ("calls", "calls.json", "CA"),
    "Recordings": ("recordings", "recordings.json", "RE"),
    "Transcriptions": ("transcriptions", "transcriptions.json", "TR"),
}
DATE_FILTERS = {"Messages": "date_sent", "Calls": "start_time", "Recordings": "date_created",
                "Transcriptions": "date_created"}  # fmt: skip
# Each resource's body without ``shapes``: the fields the ``twilio`` client and plaint's
# adapters read that no request sets (the rest are set per item).
_MINIMAL: dict[str, dict[str, Any]] = {
    "Messages": {"api_version": "2010-04-01", "direction": "inbound", "status": "received",
                 "num_media": "0", "num_segments": "1", "price": None, "price_unit": "USD",
                 "subresource_uris": {}},
    "Calls": {"api_version": "2010-04-01", "direction": "inbound", "status": "completed",
              "duration": "0", "price": None, "price_unit": "USD", "subresource_uris": {}},
    "Recordings": {"api_version": "2010-04-01", "status": "completed", "duration": "0",
                   "source": "RecordVerb", "channels": 1, "subresource_uris": {}},
    "Transcriptions": {"api_version": "2010-04-01", "status": "completed", "duration": "0",
                       "price": None, "price_unit": "USD", "type": "fast"},
}  # fmt: skip


def _template(kind: str, shapes: Path | None) -> dict[str, Any]:
    if shapes is None:
        return copy.deepcopy(_MINIMAL[kind])
    canned = json.loads((shapes / KINDS[kind][1]).read_text("utf-8"))
    body: dict[str, Any] = canned["responses"]["test_fetch_response"]["body"]
    return body


def _rfc2822(at: datetime) -> str:
    return format_datetime(at.astimezone(UTC))


def _empty() -> dict[str, Any]:
    return {"items": {k: [] for k in KINDS}, "sent": [], "media": {}, "faults": [],
            "die_after_accept": False}  # fmt: skip


class State:
    """Everything the stand-in knows, saved to ``path`` after each change."""

    def __init__(self, path: Path, account: str, shapes: Path | None = None) -> None:
        self.path, self.account, self.shapes = path, account, shapes
        self.lock = threading.Lock()
        self.data = _empty()
        if path.exists():
            self.data = json.loads(path.read_text("utf-8"))

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data), "utf-8")
        tmp.replace(self.path)

    def add(self, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
        item = _template(kind, self.shapes)
        sid = fields.get("sid") or KINDS[kind][2] + uuid.uuid4().hex
        now = _rfc2822(datetime.now(UTC))
        item.update({"account_sid": self.account, "sid": sid, "date_created": now,
                     "date_updated": now, "uri": f"{PREFIX.format(account=self.account)}/"
                     f"{kind}/{sid}.json"})  # fmt: skip
        if kind == "Messages":
            item.update({"date_sent": now, "error_code": None, "error_message": None,
                         "messaging_service_sid": None, "tags": None})  # fmt: skip
        item.update(fields)
        self.data["items"][kind].insert(0, item)  # newest first, as Twilio lists
        return item


def _paged(request: Request, kind: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    size = int(request.query_params.get("PageSize", "50"))
    page = int(request.query_params.get("Page", "0"))
    chunk = items[page * size : (page + 1) * size]
    base = request.url.path
    query = [
        (k, v) for k, v in request.query_params.multi_items() if k not in ("Page", "PageToken")
    ]

    def uri(n: int) -> str:
        return f"{base}?{urlencode([*query, ('Page', n), ('PageToken', f'PT{n}')])}"

    more = (page + 1) * size < len(items)
    return {KINDS[kind][0]: chunk, "page": page, "page_size": size, "start": page * size,
            "end": page * size + max(len(chunk) - 1, 0), "uri": uri(page),
            "first_page_uri": uri(0), "next_page_uri": uri(page + 1) if more else None,
            "previous_page_uri": uri(page - 1) if page else None}  # fmt: skip


def _matches(kind: str, item: dict[str, Any], query: Any) -> bool:
    for name, field in (("To", "to"), ("From", "from"), ("Status", "status"),
                        ("CallSid", "call_sid"), ("RecordingSid", "recording_sid")):  # fmt: skip
        if name in query and item.get(field) != query[name]:
            return False
    field = DATE_FILTERS[kind]
    for name in query:
        if name.endswith(">") or name.endswith("<"):
            if not item.get(field):
                return False
            at = parsedate_to_datetime(item[field])
            bound = datetime.fromisoformat(query[name].replace("Z", "+00:00"))
            if bound.tzinfo is None:
                bound = bound.replace(tzinfo=UTC)
            if (name.endswith(">") and at < bound) or (name.endswith("<") and at > bound):
                return False
    return True


def build_app(state: State, token: str) -> FastAPI:
    """The stand-in's ASGI app over ``state``, accepting ``state.account``:``token``."""
    app = FastAPI()
    expected = "Basic " + base64.b64encode(f"{state.account}:{token}".encode()).decode()

    def guard(request: Request, account: str) -> Response | None:
        if request.headers.get("authorization") != expected or account != state.account:
            return JSONResponse({"code": 20003, "message": "Authenticate", "status": 401}, 401)
        with state.lock:
            if state.data["faults"]:
                fault = state.data["faults"].pop(0)
                state.save()
                headers = {"Retry-After": str(fault["retry_after"])} if fault.get(
                    "retry_after") is not None else {}  # fmt: skip
                body = {"code": fault.get("code"), "message": "stand-in fault",
                        "status": fault["status"], "more_info": ""}  # fmt: skip
                return JSONResponse(body, fault["status"], headers=headers)
        return None

    @app.post(PREFIX + "/Messages.json")
    async def create_message(request: Request, account: str) -> Response:
        if (refused := guard(request, account)) is not None:
            return refused
        form = dict(parse_qsl((await request.body()).decode("utf-8")))
        to, body = str(form.get("To", "")), str(form.get("Body", ""))
        if not to or not (body or form.get("MediaUrl")):
            return JSONResponse({"code": 21602, "message": "Body required", "status": 400}, 400)
        with state.lock:
            item = state.add("Messages", {
                "to": to, "body": body, "from": str(form.get("From", "+10000000000")),
                "messaging_service_sid": form.get("MessagingServiceSid"),
                "direction": "outbound-api", "status": "queued", "date_sent": None,
                "num_segments": str(segment_count(body)), "num_media": "0",
            })  # fmt: skip
            state.data["sent"].append({"sid": item["sid"], "to": to, "body": body,
                                       "status_callback": form.get("StatusCallback")})  # fmt: skip
            state.save()
            if state.data["die_after_accept"]:
                os._exit(3)
        return JSONResponse(item, 201)

    @app.get(PREFIX + "/{kind}.json")
    def list_items(request: Request, account: str, kind: str) -> Response:
        if (refused := guard(request, account)) is not None:
            return refused
        if kind not in KINDS:
            raise HTTPException(404)
        with state.lock:
            items = [
                i for i in state.data["items"][kind] if _matches(kind, i, request.query_params)
            ]
        return JSONResponse(_paged(request, kind, items))

    @app.get(PREFIX + "/Recordings/{recording}/Transcriptions.json")
    def recording_transcriptions(request: Request, account: str, recording: str) -> Response:
        if (refused := guard(request, account)) is not None:
            return refused
        items = [t for t in state.data["items"]["Transcriptions"]
                 if t.get("recording_sid") == recording]  # fmt: skip
        return JSONResponse(_paged(request, "Transcriptions", items))

    @app.get(PREFIX + "/{kind}/{sid}.json")
    def fetch(request: Request, account: str, kind: str, sid: str) -> Response:
        if (refused := guard(request, account)) is not None:
            return refused
        for item in state.data["items"].get(kind, []):
            if item["sid"] == sid:
                return JSONResponse(item)
        return JSONResponse({"code": 20404, "message": "not found", "status": 404}, 404)

    @app.get(PREFIX + "/Messages/{sid}/Media.json")
    def media_list(request: Request, account: str, sid: str) -> Response:
        if (refused := guard(request, account)) is not None:
            return refused
        base = f"{PREFIX.format(account=account)}/Messages/{sid}/Media"
        listed = [
            {"sid": key.split("/")[1], "parent_sid": sid, "account_sid": account,
             "content_type": value["content_type"], "uri": f"{base}/{key.split('/')[1]}.json"}
            for key, value in state.data["media"].items() if key.startswith(f"{sid}/")
        ]  # fmt: skip
        page = _paged(request, "Messages", listed)
        page["media_list"] = page.pop("messages")
        return JSONResponse(page)

    @app.get(PREFIX + "/Messages/{sid}/Media/{media}")
    def media_content(request: Request, account: str, sid: str, media: str) -> Response:
        if (refused := guard(request, account)) is not None:
            return refused
        found = state.data["media"].get(f"{sid}/{media}")
        if found is None:
            return JSONResponse({"code": 20404, "status": 404}, 404)
        return Response(base64.b64decode(found["data"]), media_type=found["content_type"])

    _control(app, state)
    return app


def _control(app: FastAPI, state: State) -> None:
    @app.post("/_control/reset")
    def reset() -> dict[str, bool]:
        with state.lock:
            state.data = _empty()
            state.save()
        return {"ok": True}

    @app.post("/_control/items/{kind}")
    async def seed(kind: str, request: Request) -> dict[str, Any]:
        fields = await request.json()
        with state.lock:
            item = state.add(kind, fields)
            state.save()
        return item

    @app.post("/_control/media/{sid}/{media}")
    async def seed_media(sid: str, media: str, request: Request) -> dict[str, bool]:
        data = await request.body()
        with state.lock:
            state.data["media"][f"{sid}/{media}"] = {
                "content_type": request.headers.get("content-type", "image/jpeg"),
                "data": base64.b64encode(data).decode()}  # fmt: skip
            state.save()
        return {"ok": True}

    @app.post("/_control/faults")
    async def faults(request: Request) -> dict[str, bool]:
        with state.lock:
            state.data["faults"].extend(await request.json())
            state.save()
        return {"ok": True}

    @app.post("/_control/die_after_accept")
    def die() -> dict[str, bool]:
        with state.lock:
            state.data["die_after_accept"] = True
            state.save()
        return {"ok": True}

    @app.get("/_control/sent")
    def sent() -> list[dict[str, Any]]:
        with state.lock:
            return list(state.data["sent"])


def main(argv: list[str]) -> None:
    """Serve on loopback: ``PORT STATE_FILE SID TOKEN [SHAPES_DIR]``."""
    port, path, account, token = int(argv[0]), Path(argv[1]), argv[2], argv[3]
    state = State(path, account, Path(argv[4]) if len(argv) > 4 else None)
    state.data["die_after_accept"] = False
    state.save()
    uvicorn.run(build_app(state, token), host=LOOPBACK, port=port, log_level="warning")


if __name__ == "__main__":
    main(sys.argv[1:])
