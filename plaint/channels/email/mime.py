"""Walking a parsed MIME tree: the text a resident wrote, and the files that came with it.

The body is the text/plain parts, or the text/html parts turned into text when no plain
part has any text. A part with a file name or ``Content-Disposition: attachment``, a
non-text leaf and an enclosed ``message/rfc822`` are files; their bytes are kept (with a
SHA-256) so the caller can store them content-addressed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email.message import Message

from bs4 import BeautifulSoup

from plaint.channels.email.charsets import decode_bytes, decode_header_value

__all__ = ["FilePart", "MimeContent", "html_to_text", "walk_content"]

# Elements after which a reader expects a new line.
_BLOCKS = (
    "p", "div", "br", "li", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "hr", "section", "article", "header", "footer", "ul", "ol",
)  # fmt: skip
_INVISIBLE = ("script", "style", "head", "title", "template")
# How deep nested multiparts are followed; deeper parts are ignored (a nesting bomb).
_MAX_DEPTH = 30
_MAX_FILENAME = 255


@dataclass(frozen=True)
class FilePart:
    """One attached file: its decoded name, MIME type, bytes and their SHA-256."""

    filename: str
    content_type: str
    data: bytes = field(repr=False)
    sha256: str


@dataclass(frozen=True)
class MimeContent:
    """What the MIME tree holds: the body text, the raw HTML (if the body came from
    HTML), and the files."""

    body: str
    html: str
    files: tuple[FilePart, ...]


def html_to_text(html: str) -> str:
    """Readable text of ``html``: scripts and styles dropped, a line per block element,
    runs of blank lines folded."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(_INVISIBLE):
        tag.decompose()
    for tag in soup.find_all(_BLOCKS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    lines = [" ".join(line.split()) for line in soup.get_text().splitlines()]
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip()


def _filename(part: Message) -> str:
    """The part's file name: RFC 2231 parameters, RFC 2047 words or raw 8-bit bytes."""
    try:
        raw = part.get_filename()
    except (ValueError, LookupError, AssertionError, TypeError):
        raw = None
    if raw is not None and "\ufffd" in str(raw):
        raw = _raw_filename(part) or raw
    if raw is None:
        return ""
    name = decode_header_value(str(raw), part.get_content_charset())
    return " ".join(name.replace("\x00", "").split())[:_MAX_FILENAME]


_NAME_PARAM = re.compile(r'(?:file)?name\s*=\s*"?([^";]+)', re.IGNORECASE)


def _raw_filename(part: Message) -> str | None:
    """The name parameter as written (raw 8-bit bytes kept as surrogates), for names the
    standard library turned into U+FFFD."""
    for header in ("Content-Disposition", "Content-Type"):
        for key, value in part.raw_items():
            if key.lower() == header.lower():
                match = _NAME_PARAM.search(str(value))
                if match:
                    return match.group(1).strip()
    return None


def _payload(part: Message) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except (ValueError, LookupError, AssertionError, TypeError):
        return b""
    return payload if isinstance(payload, bytes) else b""


def _message_bytes(message: Message) -> bytes:
    try:
        return message.as_bytes()
    except (ValueError, LookupError, TypeError, UnicodeError):
        return b""


def _file(part: Message, name: str) -> FilePart:
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        enclosed = inner[0] if isinstance(inner, list) and inner else None
        data = _message_bytes(enclosed) if isinstance(enclosed, Message) else _payload(part)
        name = name or "message.eml"
    else:
        data = _payload(part)
    return FilePart(
        filename=name or "attachment",
        content_type=part.get_content_type(),
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
    )


class _Collector:
    def __init__(self) -> None:
        self.plain: list[str] = []
        self.html: list[str] = []
        self.files: list[FilePart] = []

    def visit(self, part: Message, depth: int) -> None:
        if depth > _MAX_DEPTH:
            return
        ctype = part.get_content_type()
        name = _filename(part)
        disposition = str(part.get("Content-Disposition") or "").strip().lower()
        if ctype == "message/rfc822" or (not part.is_multipart() and self._is_file(part, name)):
            self.files.append(_file(part, name))
        elif part.is_multipart():
            children = part.get_payload()
            for child in children if isinstance(children, list) else ():
                if isinstance(child, Message):
                    self.visit(child, depth + 1)
        elif ctype == "text/html" and not disposition.startswith("attachment"):
            self.html.append(decode_bytes(_payload(part), part.get_content_charset()))
        elif not disposition.startswith("attachment"):
            self.plain.append(decode_bytes(_payload(part), part.get_content_charset()))

    @staticmethod
    def _is_file(part: Message, name: str) -> bool:
        disposition = str(part.get("Content-Disposition") or "").strip().lower()
        if name or disposition.startswith("attachment"):
            return True
        # A "multipart" whose boundary never comes is read as the text it is.
        return part.get_content_maintype() not in ("text", "multipart")


def walk_content(message: Message) -> MimeContent:
    """Collect the body and files of ``message``; never raises for a malformed tree."""
    collector = _Collector()
    collector.visit(message, 0)
    plain = "\n".join(collector.plain)
    html = "\n".join(collector.html)
    body = plain if plain.strip() or not html.strip() else html_to_text(html)
    return MimeContent(body=body, html=html, files=tuple(collector.files))
