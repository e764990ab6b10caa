"""``POST /api/v1/tickets/{number}/<action>`` as staff use it: every action an event with its
actor, who may act on what, replies through the outbox exactly once, merging, and errors as
``{"code", "message"}``, on SQLite and PostgreSQL.

Each test walks a story over one seeded database (seeding is the slow part).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from plaint.cli import main
from plaint.config import Config
from plaint.models import Notification, Ticket
from plaint.service.corrections import corrections
from plaint.web.app import create_app
from tests.web.conftest import STAFF_TOML, T0, Api

TICKETS = "/api/v1/tickets"


def post(api: Api, name: str, action: str, *, as_: str, json: Any = None,
         headers: dict[str, str] | None = None) -> Any:  # fmt: skip
    """POST ``action`` on the ticket called ``name``; return the response."""
    return api.post(f"{TICKETS}/{api.numbers[name]}/{action}", as_=as_, json=json,
                    headers=headers)  # fmt: skip


def acted(api: Api, name: str, action: str, *, as_: str, json: Any = None) -> dict[str, Any]:
    """POST ``action``, check it succeeded and was recorded with its actor; return the body."""
    response = post(api, name, action, as_=as_, json=json)
    assert response.status_code == 200, (action, response.text)
    body: dict[str, Any] = response.json()
    assert body["event"]["actor"] == as_, action
    assert (body["number"], body["action"], body["replayed"]) == (api.numbers[name], action,
                                                                  False)  # fmt: skip
    return body


def detail(api: Api, name: str, *, as_: str = "admin.root") -> dict[str, Any]:
    response = api.get(f"{TICKETS}/{api.numbers[name]}", as_=as_)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def replies_of(api: Api, name: str) -> list[Notification]:
    with api.sessions() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == api.numbers[name])).one()
        return list(session.scalars(
            select(Notification).where(Notification.ticket_id == ticket.id,
                                       Notification.template == "staff_reply")
        ))  # fmt: skip


# The corridor ticket's day (cleaning, open, assigned to wang.clean): (who, action, body,
# the event's kind, what the answer shows after it).
STORY: list[tuple[str, str, dict[str, Any] | None, str, dict[str, Any]]] = [
    ("li.clean", "note", {"text": "已电话联系业主"}, "note", {"status": "open"}),
    ("li.clean", "reply", {"text": "明天上午清理"}, "reply", {"status": "responded"}),
    ("li.clean", "claim", None, "assign", {"assignee": "li.clean"}),
    ("chen.head", "assign", {"to": "wang.clean"}, "assign", {"assignee": "wang.clean"}),
    ("li.clean", "wait", {"needed": "请提供照片"}, "wait", {"status": "waiting"}),
    ("li.clean", "resume", None, "resume", {"status": "responded"}),
    ("desk.wu", "reclassify", {"sub_topic": "pest"}, "reclassified", {"status": "responded"}),
    ("desk.wu", "transfer", {"department": "finance", "reason": "其实是收费问题"}, "transfer",
     {"department": "finance"}),
    ("zhao.fin", "resolve", {"resolution": "已退费"}, "resolve", {"status": "resolved"}),
    ("zhao.fin", "reopen", None, "reopen", {"status": "responded"}),
    ("zhao.fin", "close", None, "close", {"status": "closed"}),
]  # fmt: skip


def test_every_action_is_an_event_with_its_actor(api: Api) -> None:
    before = len(detail(api, "corridor")["events"])
    for who, action, body, kind, shown in STORY:
        answer = acted(api, "corridor", action, as_=who, json=body)
        assert answer["event"]["kind"] == kind, action
        assert {k: answer[k] for k in shown} == shown, action
    events = detail(api, "corridor")["events"][before:]
    # plaint's own follow-ups (the policy following a reclassification, the survey after
    # the close) are events of their own, by "plaint".
    mine = [(e["kind"], e["actor"]) for e in events if e["actor"] != "plaint"]
    assert {e["kind"] for e in events if e["actor"] == "plaint"} <= {
        "policy_changed", "survey_scheduled"}  # fmt: skip
    assert mine == [(kind, who) for who, _action, _body, kind, _shown in STORY]
    data = {e["kind"]: e["data"] for e in events}
    assert data["note"]["text"] == "已电话联系业主"
    assert (data["reply"]["first_response"], data["reply"]["channel"]) == (True, "email")
    assert (data["wait"]["needed"], data["resolve"]["resolution"]) == ("请提供照片", "已退费")
    transfer = data["transfer"]
    assert (transfer["from"], transfer["to"]) == ("cleaning", "finance")
    assert transfer["reason"] == "其实是收费问题"
    # The cleaning handler is replaced by finance's (the only finance member on duty).
    assert (transfer["assignee_from"], transfer["assignee_to"]) == ("wang.clean", "zhao.fin")
    assert data["reclassified"]["after"]["sub_topic"] == "pest"


def test_a_reply_goes_through_the_outbox_and_into_the_conversation(api: Api) -> None:
    acted(api, "corridor", "reply", as_="li.clean", json={"text": "明天上午清理"})
    [row] = replies_of(api, "corridor")
    assert (row.recipient_kind, row.channel, row.status) == ("resident", "email", "pending")
    assert row.data == {"ticket": api.numbers["corridor"], "department": "保洁部",
                        "text": "明天上午清理"}  # fmt: skip
    out = [m for m in detail(api, "corridor")["messages"] if m["direction"] == "out"]
    assert [(m["sender"], m["body"], m["channel"]) for m in out] == [
        ("li.clean", "明天上午清理", "email")]  # fmt: skip
    shown = detail(api, "corridor")
    assert shown["first_responded_at"] is not None
    assert [c["state"] for c in shown["sla"]["clocks"] if c["clock"] == "first_response"] == [
        "met"]  # fmt: skip
    second = acted(api, "corridor", "reply", as_="li.clean", json={"text": "已清理完毕"})
    assert second["event"]["data"]["first_response"] is False
    assert len(replies_of(api, "corridor")) == 2
    # The resident wrote by email and has no phone number: SMS is refused, nothing is queued.
    refused = post(api, "corridor", "reply", as_="li.clean", json={"text": "x", "channel": "sms"})
    assert (refused.status_code, refused.json()["code"]) == (409, "conflict")
    assert len(replies_of(api, "corridor")) == 2


def test_a_retried_reply_with_the_same_idempotency_key_is_sent_once(api: Api) -> None:
    key = {"Idempotency-Key": "reply-7f3a"}
    first = post(api, "fee", "reply", as_="zhao.fin", json={"text": "已核实"}, headers=key)
    again = post(api, "fee", "reply", as_="zhao.fin", json={"text": "已核实"}, headers=key)
    assert (first.status_code, again.status_code) == (200, 200)
    assert (first.json()["replayed"], again.json()["replayed"]) == (False, True)
    assert again.json()["event"] == first.json()["event"]
    assert len(replies_of(api, "fee")) == 1
    assert [e["kind"] for e in detail(api, "fee")["events"]].count("reply") == 1
    other = post(api, "fee", "reply", as_="zhao.fin", json={"text": "补充"},
                 headers={"Idempotency-Key": "reply-7f3b"})  # fmt: skip
    assert other.json()["replayed"] is False
    assert len(replies_of(api, "fee")) == 2


ACTIONS: dict[str, dict[str, Any] | None] = {
    "reply": {"text": "x"}, "note": {"text": "x"}, "assign": {"to": "li.clean"}, "claim": None,
    "transfer": {"department": "cleaning", "reason": "x"}, "wait": {"needed": "x"},
    "resume": None, "resolve": {"resolution": "x"}, "close": None, "reopen": None,
    "reclassify": {"level": 2}, "acknowledge": None, "merge": {"into": "TS-0"},
}  # fmt: skip


def test_a_cleaning_member_can_neither_read_nor_act_on_a_finance_ticket(api: Api) -> None:
    before = detail(api, "fee")
    assert api.get(f"{TICKETS}/{api.numbers['fee']}", as_="li.clean").status_code == 404
    for action, body in ACTIONS.items():
        response = post(api, "fee", action, as_="li.clean", json=body)
        assert response.status_code == 404, action
        assert response.json()["code"] == "not_found", action
        assert api.numbers["fee"] in response.json()["message"]  # as for an unknown number
    after = detail(api, "fee")
    assert (after["events"], after["status"]) == (before["events"], before["status"])
    assert replies_of(api, "fee") == []
    # Nor merge a ticket of their own into it.
    merged = post(api, "corridor", "merge", as_="li.clean", json={"into": api.numbers["fee"]})
    assert merged.status_code == 404


def test_heads_acknowledge_escalations_members_may_not(api: Api) -> None:
    api.clock.now = T0 + timedelta(hours=25)  # the fee's first response (24 h) is overdue
    refused = post(api, "fee", "acknowledge", as_="zhao.fin")
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    done = acted(api, "fee", "acknowledge", as_="admin.root")
    assert done["event"]["data"]["clocks"] == ["first_response"]
    clock_events = detail(api, "fee")["sla"]["clock_events"]
    assert ("first_response", "acknowledged", "admin.root") in {
        (e["clock"], e["kind"], e["actor"]) for e in clock_events}  # fmt: skip
    # The garbage ticket's clocks are all in time: nothing to acknowledge.
    nothing = post(api, "garbage", "acknowledge", as_="chen.head")
    assert (nothing.status_code, nothing.json()["code"]) == (409, "conflict")


def test_merge_moves_the_messages_and_closes_the_source(api: Api) -> None:
    garbage, corridor = api.numbers["garbage"], api.numbers["corridor"]
    answer = acted(api, "garbage", "merge", as_="li.clean", json={"into": corridor})
    assert (answer["status"], answer["event"]["kind"]) == ("closed", "merged_into")
    assert answer["event"]["data"]["into"] == corridor
    source, target = detail(api, "garbage"), detail(api, "corridor")
    assert source["messages"] == []
    assert [m["body"][:4] for m in target["messages"]] == ["门口垃圾", "楼道里的"]
    merged = target["events"][-1]
    assert (merged["kind"], merged["actor"], merged["data"]["source"]) == ("merged", "li.clean",
                                                                          garbage)  # fmt: skip
    assert merged["data"]["messages"] == 1
    for into, status in ((corridor, 409), ("TS-1999-000001", 404)):
        again = post(api, "garbage", "merge", as_="li.clean", json={"into": into})
        assert again.status_code == status
    itself = post(api, "corridor", "merge", as_="li.clean", json={"into": corridor})
    assert itself.status_code == 409


def test_errors_are_json_with_a_stable_code(api: Api) -> None:
    cases: list[tuple[str, str, Any, int, str]] = [
        ("corridor", "resume", None, 409, "conflict"),
        ("lift", "reply", {"text": "x"}, 409, "conflict"),  # resolved: reopen first
        ("corridor", "reply", None, 422, "validation"),
        ("corridor", "reply", {"text": ""}, 422, "validation"),
        ("corridor", "reply", {"text": "   "}, 422, "validation"),
        ("corridor", "reply", {"text": "x", "chanel": "sms"}, 422, "validation"),
        ("corridor", "wait", {}, 422, "validation"),
        ("corridor", "reclassify", {}, 422, "validation"),
        ("corridor", "reclassify", {"sub_topic": "unicorns"}, 422, "validation"),
        ("corridor", "assign", {"to": "nobody"}, 404, "not_found"),
        ("corridor", "assign", {"to": "zhao.fin"}, 409, "conflict"),  # cannot see cleaning
        ("corridor", "transfer", {"department": "cleaning", "reason": "x"}, 409, "conflict"),
    ]  # fmt: skip
    for name, action, body, status, code in cases:
        response = post(api, name, action, as_="desk.wu", json=body)
        assert response.status_code == status, (action, body, response.text)
        answer = response.json()
        assert answer["code"] == code, (action, body)
        assert answer["message"], (action, body)
    missing = api.post(f"{TICKETS}/TS-1999-000001/close", as_="desk.wu")
    assert missing.json() == {"code": "not_found",
                              "message": "no ticket numbered 'TS-1999-000001'"}  # fmt: skip
    unauthorised = api.post(f"{TICKETS}/{api.numbers['corridor']}/close")
    assert (unauthorised.status_code, unauthorised.json()["code"]) == (401, "unauthorised")


def test_a_residents_contact_is_shown_only_to_those_who_handle_it(api: Api) -> None:
    """Corridor is wang.clean's: li.clean (a member of the same department) sees the
    resident's name but not their address until the ticket is theirs."""
    email = "resident2@example.com"
    seen = {who: detail(api, "corridor", as_=who)["resident"]
            for who in ("li.clean", "chen.head", "desk.wu", "admin.root")}  # fmt: skip
    assert seen["li.clean"]["email"] is None
    assert seen["li.clean"]["name"] == seen["desk.wu"]["name"]
    assert {who: r["email"] for who, r in seen.items() if who != "li.clean"} == {
        "chen.head": email, "desk.wu": email, "admin.root": email}  # fmt: skip
    acted(api, "corridor", "claim", as_="li.clean")
    assert detail(api, "corridor", as_="li.clean")["resident"]["email"] == email


def test_a_token_revoked_with_plaint_staff_token_revoke_is_refused(
    api: Api, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    assert post(api, "corridor", "note", as_="li.clean", json={"text": "x"}).status_code == 200
    config = tmp_path / "revoke.toml"
    config.write_text(STAFF_TOML, "utf-8")
    monkeypatch.setenv("PLAINT_DATABASE_URL", db_url)
    monkeypatch.setenv("PLAINT_CONFIG", str(config))
    assert main(["staff", "token", "li.clean", "--revoke"]) == 0
    assert "revoked 1 token of li.clean" in capsys.readouterr().out
    for response in (post(api, "corridor", "note", as_="li.clean", json={"text": "x"}),
                     api.get(f"{TICKETS}/{api.numbers['corridor']}", as_="li.clean")):  # fmt: skip
        assert response.status_code == 401
        assert response.json()["code"] == "unauthorised"
    assert post(api, "corridor", "note", as_="chen.head", json={"text": "x"}).status_code == 200


def test_the_corrections_are_training_examples(api: Api) -> None:
    acted(api, "corridor", "reclassify", as_="chen.head", json={"sub_topic": "pest"})
    with api.sessions() as session:
        examples = corrections(session, field="sub_topic")
    assert [(text[:4], label) for text, label in examples] == [("楼道里的", "pest")]


def test_the_openapi_schema_documents_every_action_and_its_errors(
    make_config: Callable[..., Config],
) -> None:
    app = create_app(config=make_config(""), sessions=sessionmaker(), redis_ready=lambda: False,
                     clock=lambda: T0)  # fmt: skip
    schema = app.openapi()
    paths = schema["paths"]
    for action in ACTIONS:
        operation = paths[f"{TICKETS}/{{number}}/{action}"]["post"]
        responses = operation["responses"]
        assert {"200", "401", "404", "409", "422"} <= set(responses), action
        for status in ("401", "404", "409"):
            content = responses[status]["content"]["application/json"]["schema"]
            assert content == {"$ref": "#/components/schemas/ErrorOut"}, (action, status)
        assert operation["summary"], action
        assert operation["description"], action
    assert "403" in paths[f"{TICKETS}/{{number}}/acknowledge"]["post"]["responses"]
    reply = paths[f"{TICKETS}/{{number}}/reply"]["post"]
    assert "Idempotency-Key" in {p["name"] for p in reply["parameters"]}
    error = schema["components"]["schemas"]["ErrorOut"]
    assert set(error["required"]) == {"code", "message"}
