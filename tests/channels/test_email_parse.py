"""Parsing raw mail: our own fixtures for the behaviour residents' mail needs, and the
public corpora in ../shared/eval for "nothing raises but MalformedMessageError"."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.parser import BytesHeaderParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plaint.channels.email.imap import email_external_id
from plaint.channels.email.parse import decode_bytes, parse_email, parse_mail
from plaint.errors import MalformedMessageError
from plaint.inbound import ChannelKind
from plaint.pipeline.normalise import complaint_text
from tests.shared_data import eval_path

AT = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def _raw(headers: str, body: bytes) -> bytes:
    return headers.replace("\n", "\r\n").encode("ascii") + b"\r\n" + body


def test_gb2312_label_with_gbk_characters_decodes_as_gb18030() -> None:
    body = "5栋1101卫生间漏水，镕、祐这些字GB2312里没有".encode("gbk")
    raw = _raw(
        "From: =?gb2312?B?"
        + __import__("base64").b64encode("梁祐晟".encode("gbk")).decode()
        + "?= <liang@example.cn>\nSubject: test\nContent-Type: text/plain; charset=gb2312\n",
        body,
    )
    message = parse_email(raw, received_at=AT)
    assert message.sender_name == "梁祐晟"
    assert "镕、祐" in message.body
    assert message.channel is ChannelKind.EMAIL
    assert message.received_at == AT


def test_html_only_mail_becomes_text() -> None:
    raw = _raw(
        "From: a@example.com\nSubject: lift\nContent-Type: text/html; charset=utf-8\n",
        "<html><body><p>电梯<b>坏了</b></p><script>x</script></body></html>".encode(),
    )
    body = parse_email(raw, received_at=AT).body
    assert "电梯" in body
    assert "坏了" in body
    assert "<b>" not in body


def test_reply_headers_give_the_thread() -> None:
    raw = _raw(
        "From: Resident <R@Example.com>\nSubject: Re: leak\nMessage-ID: <b@x>\n"
        "In-Reply-To: <a@x>\nReferences: <z@x> <a@x>\n",
        b"still leaking",
    )
    message = parse_email(raw, received_at=AT)
    assert message.sender == "r@example.com"
    assert message.message_id == "b@x"
    assert message.thread_ids == ("z@x", "a@x")


@pytest.mark.parametrize(
    "headers",
    ["Auto-Submitted: auto-replied\n", "Precedence: bulk\n", "X-Autoreply: yes\n"],
)
def test_auto_replies_are_flagged(headers: str) -> None:
    raw = _raw(f"From: a@example.com\nSubject: Out of office\n{headers}", b"away")
    assert parse_email(raw, received_at=AT).auto_submitted


@pytest.mark.parametrize(
    "raw",
    [b"", b"garbage without headers", _raw("From: nobody\nSubject: x\n", b"body")],
)
def test_mail_without_a_sender_is_the_senders_fault(raw: bytes) -> None:
    with pytest.raises(MalformedMessageError) as info:
        parse_email(raw, received_at=AT)
    assert info.value.reason == "no_sender"


def test_attachments_are_listed_not_inlined() -> None:
    raw = _raw(
        'From: a@example.com\nSubject: photo\nContent-Type: multipart/mixed; boundary="b"\n',
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsee photo\r\n"
        b"--b\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; "
        b'filename="leak.jpg"\r\nContent-Transfer-Encoding: base64\r\n\r\n/9j/4AAQ\r\n--b--\r\n',
    )
    message = parse_email(raw, received_at=AT)
    assert message.body.strip() == "see photo"
    assert [(a.filename, a.content_type) for a in message.attachments] == [
        ("leak.jpg", "image/jpeg")
    ]


@pytest.mark.parametrize(
    ("data", "charset", "text"),
    [
        ("漏水".encode("gbk"), "GB2312", "漏水"),
        ("漏水".encode(), "no-such-charset", "漏水"),
        ("物业乱收费投诉".encode("gb18030"), None, "物业乱收费投诉"),
        (b"\xff\xfe\xfa", "utf-8", None),
    ],
)
def test_decode_bytes_never_raises(data: bytes, charset: str | None, text: str | None) -> None:
    decoded = decode_bytes(data, charset)
    if text is not None:
        assert decoded == text


def test_external_id_is_the_message_id_or_a_digest() -> None:
    assert email_external_id(b"Message-ID: <a@x>\r\n\r\nbody") == "<a@x>"
    digest = email_external_id(b"From: a@x\r\n\r\nbody")
    assert digest.startswith("sha256:")
    assert digest == email_external_id(b"From: a@x\r\n\r\nbody")
    assert digest != email_external_id(b"From: a@x\r\n\r\nother")


def test_kopano_charset_cases() -> None:
    folder = eval_path("email-corpus", "kopano-charsets")
    expected = json.loads((folder / "expected.json").read_text("utf-8"))
    gb = parse_email((folder / "gb2312_18030.eml").read_bytes(), received_at=AT)
    assert gb.sender_name == expected["gb2312_18030.eml"]["kopano_expects"]["sender_name"]
    big5 = parse_email((folder / "big5.eml").read_bytes(), received_at=AT)
    assert big5.subject == expected["big5.eml"]["curator_reference_headers"]["subject"]


def test_every_corpus_mail_parses_or_is_rejected_clearly() -> None:
    """933 real mails (spam, bounces, broken MIME, odd charsets): each one either parses
    or raises MalformedMessageError; nothing else escapes, nothing hangs."""
    index = eval_path("email-corpus", "INDEX.jsonl")
    parsed = rejected = 0
    for line in index.read_text("utf-8").splitlines():
        path = index.parent / json.loads(line)["path"]
        if not path.exists():
            continue
        try:
            message = parse_email(path.read_bytes(), received_at=AT)
        except MalformedMessageError:
            rejected += 1
            continue
        assert "@" in message.sender or message.auto_submitted  # a bare "mailer-daemon"
        parsed += 1
    assert parsed > 500
    assert rejected < parsed / 10


@pytest.mark.parametrize(
    ("data", "charset", "text"),
    [
        ("電梯壞了請盡快修理".encode("big5"), "big5", "電梯壞了請盡快修理"),
        ("電梯壞了請盡快修理".encode("big5"), "us-ascii", "電梯壞了請盡快修理"),
        ("电梯坏了请尽快修理".encode("gbk"), None, "电梯坏了请尽快修理"),
        ("こんにちは".encode("iso2022_jp"), "ISO-2022-JP", "こんにちは"),
        ("物业费太贵了".encode(), "iso-8859-1", "物业费太贵了"),
        ("物业费太贵了".encode(), "gb2312", "物业费太贵了"),
        (b"caf\xe9", "iso-8859-1", "café"),
    ],
)
def test_declared_widened_mislabelled_and_undeclared_charsets(
    data: bytes, charset: str | None, text: str
) -> None:
    assert decode_bytes(data, charset) == text


def test_rfc2231_and_8bit_attachment_names_and_hashes() -> None:
    raw = _raw(
        'From: a@example.com\nSubject: x\nContent-Type: multipart/mixed; boundary="b"\n',
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsee\r\n"
        b"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; "
        b"filename*=UTF-8''%E6%BC%8F%E6%B0%B4.pdf\r\n\r\nPDF\r\n"
        b"--b\r\nContent-Type: application/msword\r\nContent-Disposition: attachment; "
        b'filename="\xe7\xae\xa1\xe7\x90\x86.doc"\r\n\r\nDOC\r\n--b--\r\n',
    )
    files = parse_mail(raw).files
    assert [f.filename for f in files] == ["漏水.pdf", "管理.doc"]
    assert files[0].sha256 == __import__("hashlib").sha256(b"PDF").hexdigest()


@pytest.mark.parametrize(
    "headers",
    [
        "From: MAILER-DAEMON@mx.example.com\nSubject: Undelivered Mail Returned to Sender\n",
        "From: a@example.com\nSubject: x\nReturn-Path: <>\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n",
        "From: a@example.com\nSubject: Read: x\n"
        "Content-Type: multipart/report; report-type=disposition-notification; boundary=b\n",
        "From: a@example.com\nSubject: x\nAuto-Submitted: auto-replied\n",
        "From: a@example.com\nSubject: x\nX-Auto-Response-Suppress: All\n",
        "From: a@example.com\nSubject: =?utf-8?b?6Ieq5Yqo5Zue5aSN77ya5oiR5LiN5Zyo?=\n",
    ],
)
def test_machine_written_mail_is_recognised(headers: str) -> None:
    assert parse_mail(_raw(headers, b"--b--\r\n")).automatic is not None


def test_a_resident_mentioning_from_in_the_text_is_not_cut() -> None:
    body = "From: 5栋的业主\n电梯坏了三天了\n请尽快修理"
    assert complaint_text(subject="", body=body) == body


@given(
    st.lists(
        st.sampled_from(
            [
                b"From: a@x\r\n",
                b"Message-ID: <first@x>\r\n",
                b"message-id:\r\n <folded@x>\r\n",
                b"X-Original-Message-ID: <other@x>\r\n",
                b"Message-Id:   <spaced@x> \r\n",
                b"Subject: =?utf-8?b?5ryP5rC0?=\r\n",
                b"Message-ID: <lf@x>\n",
                b"To: b@y\n",
                b"Message-ID: <\xe4\xb8\xad@x>\r\n",
            ]
        ),
        max_size=6,
    ),
    st.sampled_from([b"\r\n", b"\n"]),
    st.sampled_from([b"body", b"Message-ID: <in-body@x>\r\n"]),
)
def test_the_fast_message_id_equals_the_parsers(
    headers: list[bytes], blank: bytes, body: bytes
) -> None:
    raw = b"".join(headers) + blank + body
    parsed = BytesHeaderParser().parsebytes(raw)
    assert email_external_id(raw) == email_external_id(raw, headers=parsed)
