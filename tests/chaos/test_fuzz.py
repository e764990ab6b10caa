"""Fuzzing every inbound parser and the TOML loader: whatever arrives — call-centre CSV
exports, Twilio webhook form parameters, AMQP call events, configuration files — either
parses or raises one of plaint's own errors (:class:`plaint.errors.PlaintError`), which
the workers turn into quarantine or a one-line message; no other exception gets through.
(MIME mail is fuzzed in tests/channels/test_email_fuzz.py.)"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from plaint.channels.phone.cdr import CdrLayout, GoodRow, decode_cdr, parse_cdr, sniff_format
from plaint.channels.phone.parse import parse_call
from plaint.channels.sms.parse import parse_sms
from plaint.config import load_config
from plaint.config.twilio import TwilioSettings
from plaint.errors import PlaintError
from plaint.models import Inbox, create_db_engine, session_factory
from plaint.models.migrate import upgrade
from plaint.service.twilio_intake import receive_sms
from tests.channels.test_cdr_folder import row
from tests.config.samples import SOURCE

AT = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")
COLUMNS = (("caller", "src"), ("started_at", "start"))
LAYOUTS = [CdrLayout("asterisk", SHANGHAI), CdrLayout("freeswitch", SHANGHAI),
           CdrLayout("columns", SHANGHAI, COLUMNS)]  # fmt: skip
pytestmark = pytest.mark.slow  # a minute of examples: run with the chaos suite
FUZZ = settings(max_examples=100, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip


def only_our_errors(call: Callable[[], Any]) -> None:
    """Run ``call``; a PlaintError is an answer, anything else fails the test."""
    with contextlib.suppress(PlaintError):
        call()


_FIELD = st.one_of(st.text(max_size=20), st.sampled_from(
    ["", "13800138000", "+8613800138000", "2026-11-02 09:30:00", "ANSWERED", "NO ANSWER",
     "-1", "99999999999", "2026-13-45 25:61:61", '"', '""', "\\", "\x00", "电梯坏了"]))  # fmt: skip


@st.composite
def _csv(draw: st.DrawFn) -> bytes:
    lines = [row(draw(st.integers(0, 9999)))] * draw(st.integers(0, 2))
    for fields in draw(st.lists(st.lists(_FIELD, max_size=20), max_size=4)):
        lines.append(",".join(f'"{f}"' if draw(st.booleans()) else f for f in fields))
    text = "\n".join(lines)
    encoding = draw(st.sampled_from(["utf-8", "gbk", "utf-16", "latin-1"]))
    return text.encode(encoding, errors="replace")


@FUZZ
@given(st.one_of(_csv(), st.binary(max_size=400)), st.sampled_from(LAYOUTS))
def test_call_record_csv(data: bytes, layout: CdrLayout) -> None:
    def read() -> None:
        text = decode_cdr(data)
        sniff_format(text)
        for parsed in parse_cdr(text, layout=layout):
            if isinstance(parsed, GoodRow):  # the worker parses what the poller stored
                parse_call(json.dumps(parsed.record, default=str).encode(), received_at=AT)

    only_our_errors(read)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10),
                                                                      children, max_size=4),
    max_leaves=12,
)  # fmt: skip
_EVENT_KEYS = st.sampled_from(["call_id", "caller", "From", "status", "agent", "notes",
                               "malformed", "caller_name", "CallSid", "sid"])  # fmt: skip


@FUZZ
@given(st.one_of(
    st.binary(max_size=300),
    _JSON.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(_EVENT_KEYS, _JSON | _FIELD, max_size=8).map(
        lambda d: json.dumps(d, ensure_ascii=False).encode()),
))  # fmt: skip
def test_amqp_call_event(body: bytes) -> None:
    only_our_errors(lambda: parse_call(body, received_at=AT))


@pytest.fixture(scope="module")
def sms_sessions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    engine = create_db_engine(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'p.db'}")
    upgrade(engine)
    yield session_factory(engine)
    engine.dispose()


_PARAM_KEYS = st.sampled_from(["MessageSid", "From", "To", "Body", "NumMedia", "AccountSid",
                               "SmsStatus", "FromCity", "MediaContentType0"])  # fmt: skip
_PARAM_VALUES = st.one_of(_FIELD, st.sampled_from(["0", "abc", "-1", "SM" + "a" * 32]))


@FUZZ
@given(st.dictionaries(_PARAM_KEYS | st.text(max_size=12), _PARAM_VALUES, max_size=9))
def test_twilio_webhook_params(sms_sessions: Any, params: dict[str, str]) -> None:
    """The webhook's service stores what a signed request carries, and the worker parses
    the stored row (media counts other than 0 are not fetched here: no network)."""
    if str(params.get("NumMedia", "")).isdigit():
        params["NumMedia"] = "0"
    twilio = TwilioSettings(
        account_sid="AC" + "0" * 32, auth_token="t", sender="+8610690000",
        public_url="https://plaint.example.com", api_url="http://127.0.0.1:9",
    )  # fmt: skip
    stored: list[int] = []
    only_our_errors(lambda: receive_sms(sms_sessions, settings=twilio, params=params, now=AT,
                                        enqueue=stored.append))  # fmt: skip
    for inbox_id in stored:
        with sms_sessions() as session:
            payload = session.scalar(select(Inbox.payload).where(Inbox.id == inbox_id))
        assert payload is not None
        only_our_errors(partial(parse_sms, payload, received_at=AT))


_TOML_VALUES = st.one_of(
    st.integers(-5, 10**6).map(str), st.text(max_size=12).map(json.dumps),
    st.sampled_from(["true", "[]", "{}", '"09:00-18:00"', '"off"', "1.5", '{ hours = -1 }',
                     '{ minutes = 30 }', '["x"]', '"imap"', '"cdr-folder"', '"amqp"',
                     "1979-05-27T07:32:00Z"]),
)  # fmt: skip
_TABLES = st.sampled_from(["", "[sla]", "[calendar]", "[messages]", "[dedupe]",
                           "[escalation]", "[[sources]]", "[[sla.policies]]", "[routing]",
                           "[[departments]]", "[nonsense]"])  # fmt: skip
_KEYS = st.sampled_from(["name", "kind", "warn_at", "default", "quiet_hours", "timezone",
                         "poll_interval_seconds", "years", "holidays", "ladder", "match",
                         "first_response", "closure", "path", "format", "code", "host",
                         "continuation_window_hours", "staff_hours", "bogus"])  # fmt: skip


@st.composite
def _toml(draw: st.DrawFn) -> str:
    lines = [SOURCE] if draw(st.booleans()) else []
    for _ in range(draw(st.integers(0, 6))):
        lines.append(draw(_TABLES))
        for _ in range(draw(st.integers(0, 4))):
            lines.append(f"{draw(_KEYS)} = {draw(_TOML_VALUES)}")
    return "\n".join(lines)


@FUZZ
@given(st.one_of(_toml(), st.text(max_size=200)))
def test_toml_config_loader(tmp_path: Path, text: str) -> None:
    path = tmp_path / "plaint.toml"
    path.write_text(text, "utf-8", errors="surrogatepass")
    only_our_errors(lambda: load_config(path))
