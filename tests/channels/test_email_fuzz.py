"""Whatever bytes arrive, the parser answers with a message or MalformedMessageError."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from plaint.channels.email.parse import parse_email
from plaint.errors import MalformedMessageError

AT = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)

_HEADER_NAMES = st.sampled_from(
    ["From", "To", "Cc", "Subject", "Content-Type", "Content-Transfer-Encoding",
     "Content-Disposition", "References", "In-Reply-To", "Auto-Submitted", "Return-Path"]
)  # fmt: skip
_VALUES = st.one_of(
    st.binary(max_size=80),
    st.sampled_from([
        b"multipart/mixed; boundary=b", b"text/plain; charset=gb2312", b"base64",
        b"quoted-printable", b"=?gbk?B?1tA=?=", b"=?utf-8?q?=e2?=", b"attachment; filename*=x",
        b"text/html; charset=unknown-8bit", b"<a@b>", b"multipart/report; report-type=x",
    ]),
)  # fmt: skip
_BODIES = st.one_of(st.binary(max_size=300), st.just(b"--b\r\nContent-Type: text/plain\r\n\r\nx"))


@st.composite
def _mails(draw: st.DrawFn) -> bytes:
    headers = draw(st.lists(st.tuples(_HEADER_NAMES, _VALUES), max_size=8))
    lines = b"".join(name.encode() + b": " + value + b"\r\n" for name, value in headers)
    return lines + b"\r\n" + draw(_BODIES)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_mails(), st.binary(max_size=500)))
def test_the_parser_raises_nothing_but_malformed_message(raw: bytes) -> None:
    try:
        message = parse_email(raw, received_at=AT)
    except MalformedMessageError:
        return
    for text in (message.subject, message.body, message.sender_name):
        assert "\ufffd" not in text
