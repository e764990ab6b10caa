"""``/api/v1/tickets`` as staff use it: bearer tokens, filters, paging, who sees what, and
one ticket's whole record, on SQLite and PostgreSQL.

Each test checks a table of cases against one seeded database (seeding is the slow part).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from plaint.service.directory import revoke_tokens
from tests.web.conftest import NOW, Api

LIST = "/api/v1/tickets"
EVERYTHING = ["lift", "corridor", "fee", "garbage"]  # newest first


def names(api: Api, body: dict[str, Any]) -> list[str]:
    """The complaint names of a list response's items, in order."""
    by_number = {number: name for name, number in api.numbers.items()}
    return [by_number[item["number"]] for item in body["items"]]


BAD_AUTHORIZATION = {
    "none": {},
    "basic": {"Authorization": "Basic YWRtaW46YWRtaW4="},
    "empty": {"Authorization": "Bearer"},
    "unknown": {"Authorization": "Bearer plt_not-a-token"},
    "malformed": {"Authorization": "Bearer x"},
}


def test_without_a_valid_bearer_token_the_answer_is_401(api: Api) -> None:
    for case, headers in BAD_AUTHORIZATION.items():
        for path in (LIST, f"{LIST}/{api.numbers['fee']}"):
            response = api.client.get(path, headers=headers)
            assert response.status_code == 401, (case, path)
            assert response.headers["WWW-Authenticate"].startswith("Bearer"), case
            assert api.numbers["fee"] not in response.text


def test_a_revoked_token_is_refused(api: Api) -> None:
    assert api.get(LIST, as_="li.clean").status_code == 200
    with api.sessions.begin() as session:
        assert revoke_tokens(session, "li.clean", now=NOW) == 1
    response = api.get(LIST, as_="li.clean")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_list_is_newest_first_with_the_sla_fields(api: Api) -> None:
    response = api.get(LIST, as_="admin.root")
    assert response.status_code == 200
    body = response.json()
    assert (body["total"], body["limit"], body["offset"]) == (4, 50, 0)
    assert names(api, body) == EVERYTHING
    lift, corridor, fee, garbage = body["items"]
    assert (fee["department"], fee["category"], fee["sub_topic"]) == ("finance", "fee",
                                                                       "property_fee")  # fmt: skip
    assert (lift["urgency"], lift["level"], lift["status"]) == ("emergency", 1, "resolved")
    assert (garbage["assignee"], corridor["assignee"]) == ("li.clean", "wang.clean")
    assert (fee["received_at"], fee["first_response_due"]) == ("2026-11-02T01:10:00Z",
                                                                "2026-11-03T01:10:00Z")  # fmt: skip
    assert fee["closure_due"] is not None
    assert fee["next_sla_at"] is not None
    assert [i["breached"] for i in body["items"]] == [True, False, False, False]
    assert [i["at_risk"] for i in body["items"]] == [False, True, True, False]


FILTERS: list[tuple[dict[str, str], list[str]]] = [
    ({"status": "open"}, ["corridor", "fee"]),
    ({"status": "resolved"}, ["lift"]),
    ({"department": "cleaning"}, ["corridor", "garbage"]),
    ({"department": "nowhere"}, []),
    ({"assignee": "wang.clean"}, ["corridor"]),
    ({"breached": "true"}, ["lift"]),
    ({"breached": "false"}, ["corridor", "fee", "garbage"]),
    ({"at_risk": "true"}, ["corridor", "fee"]),
    ({"at_risk": "false"}, ["lift", "garbage"]),
    ({"department": "cleaning", "at_risk": "true"}, ["corridor"]),
]


def test_filters(api: Api) -> None:
    for params, expected in FILTERS:
        response = api.get(LIST, as_="desk.wu", **params)
        assert response.status_code == 200, params
        assert names(api, response.json()) == expected, params
        assert response.json()["total"] == len(expected), params


def test_a_clock_due_within_the_window_is_at_risk_before_any_warning(api: Api) -> None:
    """The garbage ticket's closure (3 working days) has not warned: no sweep ran since.
    An hour before its due time it is at risk all the same."""
    garbage = api.get(f"{LIST}/{api.numbers['garbage']}", as_="admin.root").json()
    assert garbage["at_risk"] is False
    api.clock.now = datetime.fromisoformat(garbage["closure_due"]) - timedelta(hours=1)
    response = api.get(LIST, as_="admin.root", at_risk="true")
    assert "garbage" in names(api, response.json())


def test_paging(api: Api) -> None:
    first = api.get(LIST, as_="admin.root", limit=3).json()
    second = api.get(LIST, as_="admin.root", limit=3, offset=3).json()
    assert (first["total"], second["total"]) == (4, 4)
    assert names(api, first) + names(api, second) == EVERYTHING
    assert (second["limit"], second["offset"]) == (3, 3)
    assert api.get(LIST, as_="admin.root", offset=4).json()["items"] == []
    assert api.get(LIST, as_="admin.root", limit=200).status_code == 200


BAD_PARAMETERS: list[dict[str, Any]] = [
    {"limit": 0}, {"limit": 201}, {"offset": -1}, {"status": "lost"}, {"stauts": "open"},
    {"at_risk": "maybe"},
]  # fmt: skip


def test_bad_parameters_are_422(api: Api) -> None:
    for params in BAD_PARAMETERS:
        assert api.get(LIST, as_="admin.root", **params).status_code == 422, params


SEES = {
    "li.clean": ["corridor", "garbage"],
    "chen.head": ["corridor", "garbage"],
    "zhao.fin": ["fee"],
    "desk.wu": EVERYTHING,
    "admin.root": EVERYTHING,
}


def test_members_and_heads_list_their_own_department_only(api: Api) -> None:
    for who, expected in SEES.items():
        assert names(api, api.get(LIST, as_=who).json()) == expected, who
    for who in ("li.clean", "chen.head"):
        response = api.get(LIST, as_=who, department="finance")
        assert response.status_code == 403, who
        assert "'cleaning'" in response.json()["message"]
        assert api.get(LIST, as_=who, department="cleaning").status_code == 200


def test_another_departments_ticket_is_not_found(api: Api) -> None:
    for who, visible in SEES.items():
        fee = api.get(f"{LIST}/{api.numbers['fee']}", as_=who)
        assert fee.status_code == (200 if "fee" in visible else 404), who
        if fee.status_code == 404:
            missing = api.get(f"{LIST}/TS-1999-000001", as_=who)
            assert missing.status_code == 404
            told = fee.json()["message"].replace(api.numbers["fee"], "N")
            assert told == missing.json()["message"].replace("TS-1999-000001", "N")


def test_a_ticket_comes_with_resident_messages_events_and_sla_timeline(api: Api) -> None:
    response = api.get(f"{LIST}/{api.numbers['lift']}", as_="desk.wu")
    assert response.status_code == 200
    lift = response.json()
    assert (lift["sla_policy"], lift["breached"]) == ("emergency", True)
    assert lift["resident"]["email"] == "resident3@example.com"
    [message] = lift["messages"]
    assert message["body"].startswith("3号楼电梯困人了")
    assert message["direction"] == "in"
    kinds = [e["kind"] for e in lift["events"]]
    assert kinds[:4] == ["received", "classified", "routed", "sla_started"]
    assert {"sla_breach", "resolve"} <= set(kinds)
    sla = lift["sla"]
    assert {c["clock"]: c["state"] for c in sla["clocks"]} == {"first_response": "met_late",
                                                               "closure": "met"}  # fmt: skip
    first = next(c for c in sla["clocks"] if c["clock"] == "first_response")
    assert (first["due"], first["budget_seconds"]) == ("2026-11-02T02:00:00Z", 1800)
    assert ("first_response", "breach") in {(m["clock"], m["mark"]) for m in sla["marks"]}
    assert [(e["clock"], e["kind"]) for e in sla["clock_events"]][:2] == [
        ("first_response", "started"), ("closure", "started")]  # fmt: skip
    assert sla["upcoming"] == []
    assert "policy 'emergency': warnings at 50%, 80% of each budget" in sla["explanation"]


def test_a_running_ticket_shows_what_comes_next(api: Api) -> None:
    fee = api.get(f"{LIST}/{api.numbers['fee']}", as_="zhao.fin").json()
    clocks = {c["clock"]: c["state"] for c in fee["sla"]["clocks"]}
    assert clocks == {"first_response": "running", "closure": "running"}
    assert [(m["clock"], m["mark"]) for m in fee["sla"]["marks"]] == [("first_response",
                                                                       "warn:50")]  # fmt: skip
    upcoming = [(m["clock"], m["mark"]) for m in fee["sla"]["upcoming"]]
    assert upcoming[0] == ("first_response", "warn:80")
    assert ("closure", "breach") in upcoming
    assert fee["sla"]["error"] is None


def test_an_inbound_senders_address_is_hidden_like_the_residents_contact(api: Api) -> None:
    url = f"{LIST}/{api.numbers['corridor']}"  # assigned to wang.clean, not li.clean
    seen = {who: api.get(url, as_=who).json() for who in ("li.clean", "chen.head", "desk.wu")}
    for who, ticket in seen.items():
        [inbound] = [m for m in ticket["messages"] if m["direction"] == "in"]
        hidden = who == "li.clean"
        assert (inbound["sender"] is None) == hidden, who
        assert (
            ticket["resident"]["phone"] is None and ticket["resident"]["email"] is None
        ) == hidden
