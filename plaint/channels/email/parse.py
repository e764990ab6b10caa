"""Parsing a raw RFC 5322 message into an InboundMessage, with the standard library.

Charsets are decoded leniently where mail in China needs it: anything labelled GB2312 or
GBK is decoded as GB18030 (its superset, which is what senders really use); an unknown or
wrong label falls back to UTF-8, then GB18030, and never raises. HTML-only mail is turned
into text with Beautiful Soup. A message with no usable sender address is the sender's
fault: :class:`~plaint.errors.MalformedMessageError`.
"""

from __future__ import annotations

import codecs
import email
import email.policy
from datetime import datetime
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parseaddr

from bs4 import BeautifulSoup

from plaint.errors import MalformedMessageError
from plaint.inbound import Attachment, ChannelKind, InboundMessage

__all__ = ["decode_bytes", "parse_email"]

# Labels whose real encoding is a superset that decodes more of what is sent under them.
_CHARSET_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "big5": "big5hkscs",
    "ks_c_5601-1987": "cp949",
    "iso-8859-1": "cp1252",
    "us-ascii": "utf-8",
}
_FALLBACK_CHARSETS = ("utf-8", "gb18030")
_AUTO_PRECEDENCE = frozenset({"bulk", "junk", "auto_reply", "list"})
_MAX_HEADER_CHARS = 500


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode ``data`` declared as ``charset``; never raises."""
    candidates: list[str] = []
    if charset:
        label = charset.strip().strip('"').lower()
        candidates.append(_CHARSET_SUPERSETS.get(label, label))
    candidates.extend(_FALLBACK_CHARSETS)
    for name in candidates:
        try:
            codecs.lookup(name)
            return data.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", errors="replace")


def _header(message: Message, name: str) -> str:
    """Decode header ``name``: RFC 2047 encoded words by their label, raw 8-bit bytes
    (against the RFC, but common) by the message's first declared charset."""
    wanted = name.lower()
    raw = next((v for k, v in message.raw_items() if k.lower() == wanted), None)
    if raw is None:
        return ""
    value = str(raw)
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        undeclared = value.encode("ascii", errors="surrogateescape")
        value = decode_bytes(undeclared, _declared_charset(message))
    try:
        parts = decode_header(value)
    except (ValueError, LookupError):
        return " ".join(value.split())[:_MAX_HEADER_CHARS]
    text = "".join(
        decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk
        for chunk, charset in parts
    )
    return " ".join(text.split())[:_MAX_HEADER_CHARS]


def _declared_charset(message: Message) -> str | None:
    for charset in message.get_charsets():
        if charset:
            return str(charset)
    return None


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    text = decode_bytes(payload, part.get_content_charset())
    if part.get_content_type() == "text/html":
        text = BeautifulSoup(text, "html.parser").get_text("\n")
    return text


def _body_and_attachments(message: Message) -> tuple[str, tuple[Attachment, ...]]:
    plain: list[str] = []
    html: list[str] = []
    attachments: list[Attachment] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        disposition = str(part.get("Content-Disposition") or "").lower()
        if filename or disposition.startswith("attachment"):
            payload = part.get_payload(decode=True)
            size = len(payload) if isinstance(payload, bytes) else 0
            name = str(make_header(decode_header(filename))) if filename else "attachment"
            attachments.append(Attachment(name, part.get_content_type(), size))
        elif part.get_content_type() == "text/plain":
            plain.append(_part_text(part))
        elif part.get_content_type() == "text/html":
            html.append(_part_text(part))
    body = "\n".join(plain) if any(p.strip() for p in plain) else "\n".join(html)
    return body, tuple(attachments)


def _is_auto_submitted(message: Message) -> bool:
    auto = (message.get("Auto-Submitted") or "no").strip().lower()
    precedence = (message.get("Precedence") or "").strip().lower()
    return auto != "no" or precedence in _AUTO_PRECEDENCE or "X-Autoreply" in message


def parse_email(payload: bytes, *, received_at: datetime) -> InboundMessage:
    """Parse ``payload``; ``received_at`` (the server's receipt time) starts the clocks.

    Raises MalformedMessageError when there is no sender address to answer.
    """
    message = email.message_from_bytes(payload, policy=email.policy.compat32)
    _, sender = parseaddr(_header(message, "From"))
    sender = sender.strip().lower()
    if "@" not in sender:
        raise MalformedMessageError("no usable From address", reason="no_sender")
    sender_name = parseaddr(_header(message, "From"))[0]
    body, attachments = _body_and_attachments(message)
    thread = [addr for _, addr in getaddresses([_header(message, "References")]) if addr]
    in_reply_to = _header(message, "In-Reply-To").strip("<> ")
    if in_reply_to and in_reply_to not in thread:
        thread.append(in_reply_to)
    return InboundMessage(
        channel=ChannelKind.EMAIL,
        sender=sender,
        sender_name=sender_name,
        subject=_header(message, "Subject"),
        body=body,
        received_at=received_at,
        message_id=_header(message, "Message-ID").strip("<> "),
        thread_ids=tuple(thread),
        attachments=attachments,
        auto_submitted=_is_auto_submitted(message),
    )
