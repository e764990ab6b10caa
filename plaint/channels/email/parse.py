"""Parsing a raw RFC 5322 message into an InboundMessage, with the standard library.

Charsets follow :mod:`plaint.channels.email.charsets` (GB2312/GBK as GB18030, the declared
label honoured, detection only when decoding fails, no U+FFFD in the result); headers
are decoded from RFC 2047 words, RFC 2231 parameters or raw 8-bit bytes; HTML-only mail is
turned into text; machine-written mail is recognised by
:mod:`plaint.channels.email.automatic`. A message with no usable sender address is the
sender's fault: :class:`~plaint.errors.MalformedMessageError`. That is the only exception
the parser raises, whatever the bytes (``tests/channels/test_email_fuzz.py``).
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import Message
from email.utils import getaddresses

from plaint.channels.email.automatic import AutomaticKind, automatic_kind
from plaint.channels.email.charsets import decode_bytes, decode_header_value, decode_surrogates
from plaint.channels.email.mime import FilePart, walk_content
from plaint.errors import MalformedMessageError
from plaint.inbound import Attachment, ChannelKind, InboundMessage
from plaint.pipeline.mojibake import repair_mojibake

__all__ = ["TOO_LARGE_HEADER", "ParsedMail", "decode_bytes", "parse_email", "parse_mail"]

# The first header of the payload of a mail the IMAP channel took in as its headers only
# (larger than the source's limit); its value is the size in bytes.
TOO_LARGE_HEADER = b"X-Plaint-Too-Large"
_MAX_HEADER_CHARS = 500
_MAX_ADDRESS_HEADER_CHARS = 20_000
# Bare local parts some servers put in the From of a bounce.
_DOMAINLESS_ROBOTS = frozenset({"mailer-daemon", "postmaster"})
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")


@dataclass(frozen=True)
class ParsedMail:
    """Everything the parser reads from one message: the sender (address and name), the
    recipients, the subject, the body, the raw HTML, the files, the Message-ID and the
    ids it answers (oldest first), the ``Date`` header as written and the automatic
    kind (``None`` for a person's mail)."""

    sender: str
    sender_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    body: str
    html: str
    files: tuple[FilePart, ...]
    message_id: str
    thread_ids: tuple[str, ...]
    date: str
    automatic: AutomaticKind | None

    def inbound(self, *, received_at: datetime) -> InboundMessage:
        """The value triage works on; ``received_at`` starts the clocks."""
        return InboundMessage(
            channel=ChannelKind.EMAIL,
            sender=self.sender,
            sender_name=self.sender_name,
            subject=self.subject,
            body=self.body,
            received_at=received_at,
            message_id=self.message_id,
            thread_ids=self.thread_ids,
            attachments=tuple(
                Attachment(f.filename, f.content_type, len(f.data)) for f in self.files
            ),
            auto_submitted=self.automatic is not None,
        )


def _raw_header(message: Message, name: str) -> str | None:
    wanted = name.lower()
    return next((str(v) for k, v in message.raw_items() if k.lower() == wanted), None)


def _declared_charset(message: Message) -> str | None:
    try:
        charsets = message.get_charsets()
    except (ValueError, LookupError, AssertionError, TypeError):
        return None
    return next((str(c) for c in charsets if c), None)


def _header(message: Message, name: str, *, limit: int = _MAX_HEADER_CHARS) -> str:
    """Header ``name`` decoded (RFC 2047 words by their label, raw 8-bit bytes as UTF-8 or
    the message's declared charset), mojibake repaired, whitespace folded."""
    raw = _raw_header(message, name)
    if raw is None:
        return ""
    text = decode_header_value(raw[:_MAX_ADDRESS_HEADER_CHARS], _declared_charset(message))
    text = repair_mojibake(_printable(text))
    return " ".join(text.split())[:limit]


def _printable(text: str) -> str:
    """Without U+FFFD, and cut at a NUL (what C-string mail clients show)."""
    return text.replace("\ufffd", "").partition("\x00")[0]


def _addresses(message: Message, name: str) -> list[tuple[str, str]]:
    """(name, address) pairs of every header ``name``; names decoded, addresses
    lower-cased. Words are decoded after splitting, so an encoded comma does not split an
    address."""
    wanted = name.lower()
    raws = [str(v) for k, v in message.raw_items() if k.lower() == wanted]
    charset = _declared_charset(message)
    values = [decode_surrogates(" ".join(raw[:_MAX_ADDRESS_HEADER_CHARS].split()), charset)
              for raw in raws]  # fmt: skip
    try:
        pairs = getaddresses(values)
    except (ValueError, IndexError, TypeError):
        pairs = []
    found = []
    for display, address in pairs:
        display = " ".join(repair_mojibake(decode_header_value(display, charset)).split())
        found.append((display.strip("\"' "), address.strip().lower()))
    return found


def _sender(message: Message) -> tuple[str, str]:
    for name in ("From", "Sender", "Reply-To", "Return-Path"):
        for display, address in _addresses(message, name):
            if "@" in address or address in _DOMAINLESS_ROBOTS:
                return address, display
    raise MalformedMessageError("no usable From address", reason="no_sender")


def _ids(message: Message, name: str) -> list[str]:
    raw = _raw_header(message, name) or ""
    return _MESSAGE_ID.findall(raw[:_MAX_ADDRESS_HEADER_CHARS])


def _thread_ids(message: Message) -> tuple[str, ...]:
    """Every id of References (oldest first), then In-Reply-To's if not among them."""
    thread = _ids(message, "References")
    thread += [mid for mid in _ids(message, "In-Reply-To") if mid not in thread]
    return tuple(dict.fromkeys(thread))


def _read(payload: bytes) -> Message:
    try:
        return email.message_from_bytes(payload, policy=email.policy.compat32)
    except (ValueError, LookupError, AssertionError, TypeError, IndexError) as exc:
        raise MalformedMessageError("unreadable MIME structure", reason="unreadable") from exc


def parse_mail(payload: bytes) -> ParsedMail:
    """Parse ``payload`` into everything the channel reads from it.

    Raises MalformedMessageError (reason ``no_sender``) when there is no sender address
    to answer, or (reason ``unreadable``) when the bytes cannot be read as a message.
    """
    message = _read(payload)
    try:
        return _parsed(message)
    except MalformedMessageError:
        raise
    except (ValueError, LookupError, AssertionError, TypeError, IndexError, RecursionError) as exc:
        raise MalformedMessageError(f"unparsable message: {type(exc).__name__}",
                                    reason="unreadable") from exc  # fmt: skip


def _parsed(message: Message) -> ParsedMail:
    sender, sender_name = _sender(message)
    subject = _header(message, "Subject")
    content = walk_content(message)
    ids = _ids(message, "Message-ID")
    return ParsedMail(
        sender=sender,
        sender_name=sender_name,
        to=tuple(a for _, a in _addresses(message, "To") if a),
        cc=tuple(a for _, a in _addresses(message, "Cc") if a),
        subject=subject,
        body=repair_mojibake(content.body),
        html=content.html,
        files=content.files,
        message_id=ids[0] if ids else _header(message, "Message-ID").strip("<> "),
        thread_ids=_thread_ids(message),
        date=_header(message, "Date"),
        automatic=automatic_kind(message, sender=_header(message, "From"), subject=subject),
    )


def parse_email(payload: bytes, *, received_at: datetime) -> InboundMessage:
    """Parse ``payload``; ``received_at`` (the server's receipt time) starts the clocks.

    Raises MalformedMessageError when there is no sender address to answer or the bytes
    are not a message.
    """
    return parse_mail(payload).inbound(received_at=received_at)
