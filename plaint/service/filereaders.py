"""Reading complaint files from disk into inbox deliveries, the values a poller pulls.

A small registry maps a file *kind* to how it is recognised (its suffixes, or a look at
its first line for a file without one) and how it is read. Two kinds are email, one phone:

- ``eml``: one RFC 5322 message per file (``.eml``; a file without a known suffix whose
  first line is a mail header, as in a Maildir folder);
- ``mbox``: many messages in one file, read with the standard library's
  :class:`mailbox.mbox` (``.mbox``/``.mbx``, or a first line such as
  ``From MAILER-DAEMON Fri Jul  8 12:08:34 2011``);
- ``cdr``: a call-centre CSV export (``.csv``, or a first line of Asterisk's or
  FreeSWITCH's width), read as the ``cdr-folder`` channel reads it
  (:func:`~plaint.channels.phone.folder.cdr_deliveries`: the same external ids, malformed
  rows as deliveries to quarantine naming their line), in the layout :func:`scan_paths`
  is given; a layout of format ``auto`` recognises Asterisk or FreeSWITCH per file.

Adding a kind is one more :class:`FileReader` in ``_READERS``. Files of no kind are
skipped, not read.

An email read from a file becomes the delivery the IMAP poller would make of the same mail:
line endings in the canonical CRLF form, the same external id
(:func:`~plaint.channels.email.imap.email_external_id`, the Message-ID), so the file and
the IMAP copy are one inbox row when they share a source name. Its ``received_at`` is the
date of the topmost ``Received:`` header (when the mail reached its last server, as IMAP's
INTERNALDATE), else its ``Date:``, else the file's modification time; never later than
``now``.
"""

from __future__ import annotations

import email.utils
import mailbox
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from email.parser import BytesHeaderParser
from pathlib import Path
from zoneinfo import ZoneInfo

from plaint.channels.base import Delivery
from plaint.channels.email.imap import email_external_id
from plaint.channels.phone.cdr import CdrLayout, decode_cdr, sniff_format
from plaint.channels.phone.folder import cdr_deliveries
from plaint.inbound import ChannelKind

__all__ = [
    "AUTO_CDR",
    "FileReader",
    "FileScan",
    "FoundFile",
    "Unreadable",
    "email_delivery",
    "read_file",
    "scan_paths",
]

# How much of a file without a known suffix is read to recognise its kind, in bytes.
_SNIFF_BYTES = 200
# An mbox "From " separator line: "From <sender> <asctime date>".
_MBOX_FROM_LINE = re.compile(rb"From \S+ +\S.*\d\d:\d\d")
# The first line of a message file: a header that mail stores and exports begin with.
_MAIL_FIRST_LINE = re.compile(
    rb"(return-path|received|delivered-to|from|message-id|date|mime-version|x-[\w-]+):",
    re.IGNORECASE,
)
# A message needs one of these headers to count as an email at all.
_MAIL_HEADERS = ("from", "message-id", "date", "received")
_LINE_END = re.compile(rb"\r?\n")


@dataclass(frozen=True)
class Unreadable:
    """A file, or one message of an mbox, that could not be taken in: ``where`` is its path
    (``path#N`` for the N-th message of an mbox), ``reason`` says why without quoting any
    content."""

    where: str
    reason: str


@dataclass(frozen=True)
class FoundFile:
    """A file to read, the kind it was recognised as, and for a ``cdr`` file its layout."""

    path: Path
    kind: str
    layout: CdrLayout | None = None


@dataclass(frozen=True)
class FileScan:
    """What :func:`scan_paths` found: the files to read, in a stable order; how many files
    were of no known kind and skipped; paths that do not exist or cannot be listed."""

    files: tuple[FoundFile, ...]
    skipped: int
    missing: tuple[Unreadable, ...]


@dataclass(frozen=True)
class FileReader:
    """One kind of file: the channel its items belong to, its suffixes, how to recognise
    one without a known suffix from its first bytes, and ``read(found, source, now)``, which
    yields a delivery or an :class:`Unreadable` per item and never raises for a bad file."""

    kind: str
    channel: ChannelKind
    suffixes: frozenset[str]
    sniff: Callable[[bytes], bool]
    read: Callable[[FoundFile, str, datetime], Iterator[Delivery | Unreadable]]


def email_delivery(
    raw: bytes, *, source: str, where: str, fallback_received: datetime, now: datetime
) -> Delivery | Unreadable:
    """Return the delivery the IMAP poller would make of the raw mail ``raw`` (see the
    module docstring), or :class:`Unreadable` when it has no mail headers at all."""
    if raw.startswith(b"From "):  # an mbox separator line left at the top of a file
        raw = raw.partition(b"\n")[2]
    raw = _LINE_END.sub(b"\r\n", raw)
    end = raw.find(b"\r\n\r\n")
    head = raw if end < 0 else raw[: end + 2]  # the header block: all that is parsed here
    headers = BytesHeaderParser().parsebytes(head)
    if not any(name in headers for name in _MAIL_HEADERS):
        return Unreadable(where, "not an email (no From, Date, Message-ID or Received header)")
    received = _header_date(headers) or fallback_received
    return Delivery(
        source=source,
        channel=ChannelKind.EMAIL,
        external_id=email_external_id(raw, headers=headers),
        payload=raw,
        received_at=min(received, now),
        position=where,
    )


def _header_date(headers: Message) -> datetime | None:
    received = headers.get_all("Received") or []
    candidates = [str(received[0]).rpartition(";")[2]] if received else []
    candidates.append(str(headers.get("Date", "")))
    for text in candidates:
        try:
            value = email.utils.parsedate_to_datetime(text.strip())
        except (TypeError, ValueError, IndexError):
            continue
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    return None


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)


def _read_eml(found: FoundFile, source: str, now: datetime) -> Iterator[Delivery | Unreadable]:
    path = found.path
    try:
        raw = path.read_bytes()
        modified = _mtime(path)
    except OSError as exc:
        yield Unreadable(str(path), f"cannot read: {exc.strerror or type(exc).__name__}")
        return
    if not raw.strip():
        yield Unreadable(str(path), "empty file")
        return
    yield email_delivery(raw, source=source, where=str(path), fallback_received=modified, now=now)


def _read_mbox(found: FoundFile, source: str, now: datetime) -> Iterator[Delivery | Unreadable]:
    path = found.path
    try:
        with path.open("rb") as head:
            first = head.read(_SNIFF_BYTES)
        modified = _mtime(path)
    except OSError as exc:
        yield Unreadable(str(path), f"cannot read: {exc.strerror or type(exc).__name__}")
        return
    if not _looks_like_mbox(first):
        yield Unreadable(str(path), "not an mbox file (no 'From ' separator line first)")
        return
    try:
        box = mailbox.mbox(path, create=False)  # opened read-only when not writable
    except OSError as exc:
        yield Unreadable(str(path), f"cannot read: {exc.strerror or type(exc).__name__}")
        return
    try:
        for number, key in enumerate(box.keys(), 1):
            yield email_delivery(
                box.get_bytes(key), source=source, where=f"{path}#{number}",
                fallback_received=modified, now=now,
            )  # fmt: skip
    except (OSError, mailbox.Error) as exc:
        yield Unreadable(str(path), f"cannot read: {exc}")
    finally:
        box.close()


def _read_cdr(found: FoundFile, source: str, now: datetime) -> Iterator[Delivery | Unreadable]:
    path, layout = found.path, found.layout
    assert layout is not None
    try:
        data, modified = path.read_bytes(), _mtime(path)
    except OSError as exc:
        yield Unreadable(str(path), f"cannot read: {exc.strerror or type(exc).__name__}")
        return
    if layout.format == "auto":
        detected = sniff_format(decode_cdr(data))
        if detected is None:
            yield Unreadable(str(path), _NOT_A_CDR)
            return
        layout = CdrLayout(detected, layout.timezone)
    yield from cdr_deliveries(data, name=path.name, source=source, layout=layout,
                              modified=modified, now=now)  # fmt: skip


_NOT_A_CDR = ("not an Asterisk or FreeSWITCH call-record CSV; give --format, or --source "
              "naming a cdr-folder source with a column map")  # fmt: skip


def _looks_like_cdr(head: bytes) -> bool:
    line = head.split(b"\n", 1)[0]
    try:
        return sniff_format(line.decode("utf-8")) is not None
    except UnicodeDecodeError:
        return False


def _looks_like_mbox(head: bytes) -> bool:
    return _MBOX_FROM_LINE.match(head) is not None


def _looks_like_mail(head: bytes) -> bool:
    return _MAIL_FIRST_LINE.match(head) is not None


# Recognised in this order when a file's suffix names no kind.
_READERS = (
    FileReader("mbox", ChannelKind.EMAIL, frozenset({".mbox", ".mbx"}), _looks_like_mbox,
               _read_mbox),
    FileReader("eml", ChannelKind.EMAIL, frozenset({".eml"}), _looks_like_mail, _read_eml),
    FileReader("cdr", ChannelKind.PHONE, frozenset({".csv"}), _looks_like_cdr, _read_cdr),
)  # fmt: skip
# How CSV call records are read unless scan_paths is told otherwise: Asterisk or
# FreeSWITCH recognised per file, stamps in UTC.
AUTO_CDR = CdrLayout("auto", ZoneInfo("UTC"))
_BY_KIND = {reader.kind: reader for reader in _READERS}


def _kind_of(path: Path) -> str | None:
    suffix = path.suffix.lower()
    for reader in _READERS:
        if suffix in reader.suffixes:
            return reader.kind
    try:
        with path.open("rb") as file:
            head = file.read(_SNIFF_BYTES)
    except OSError:
        return None
    return next((r.kind for r in _READERS if r.sniff(head)), None)


def scan_paths(paths: Iterable[Path], *, cdr_layout: CdrLayout = AUTO_CDR) -> FileScan:
    """Find the files to read under ``paths`` (files, or folders walked recursively
    without following symbolic links), each with its kind; count the others as skipped.
    CSV call-record files are read in ``cdr_layout``. Never raises for a missing or
    unlistable path: it is reported in ``missing``."""
    found: list[FoundFile] = []
    missing: list[Unreadable] = []
    skipped = 0
    for path in paths:
        if not path.exists():
            missing.append(Unreadable(str(path), "no such file or folder"))
            continue
        for file in _walk(path, missing):
            kind = _kind_of(file)
            if kind is None:
                skipped += 1
            else:
                found.append(FoundFile(file, kind, cdr_layout if kind == "cdr" else None))
    return FileScan(files=tuple(found), skipped=skipped, missing=tuple(missing))


def _walk(path: Path, missing: list[Unreadable]) -> Iterator[Path]:
    if not path.is_dir():
        yield path
        return

    def unlistable(exc: OSError) -> None:
        missing.append(Unreadable(str(exc.filename), f"cannot list: {exc.strerror}"))

    for folder, dirs, files in os.walk(path, onerror=unlistable):
        dirs.sort()
        for name in sorted(files):
            yield Path(folder) / name


def read_file(found: FoundFile, *, source: str, now: datetime) -> Iterator[Delivery | Unreadable]:
    """Yield a delivery for ``source`` per item of ``found``, or an :class:`Unreadable`
    for an item (or the whole file) that cannot be taken in; never raises for a bad file."""
    return _BY_KIND[found.kind].read(found, source, now)
