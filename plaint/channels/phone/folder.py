"""A drop folder of call-centre CSV exports as a channel.

Files matching the source's pattern in the folder are read oldest first (modification
time, then name), each strictly (:mod:`plaint.channels.phone.cdr`); every record becomes a
phone :class:`~plaint.channels.base.Delivery` whose payload is the call record of
:mod:`plaint.channels.phone.parse`. A record that is malformed, or that the phone parser
rejects (no caller number), becomes a delivery to quarantine, its reason naming the file
and line, so it never blocks the rows after it.

The cursor is ``{"files": {"<name>|<sha256>": N}}``: the first N records of that file (that
content) are acked. When every record of a file is acked the file is moved to the
processed folder (``<stem>.<digest>.csv`` there if the name is taken) and leaves the
cursor. A file dropped again (same or another name) yields the same external ids — the
call's id and a digest of its fields — so the inbox takes nothing new from it. A file
must be complete when it appears: write it elsewhere and rename it into the folder.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from plaint.channels.base import CursorStore, Delivery
from plaint.channels.phone.cdr import BadRow, CdrLayout, GoodRow, decode_cdr, parse_cdr
from plaint.channels.phone.parse import parse_call
from plaint.errors import ChannelUnavailableError, MalformedMessageError
from plaint.inbound import ChannelKind

if TYPE_CHECKING:
    from plaint.config import SourceConfig

__all__ = ["CdrFolderChannel", "cdr_deliveries"]


def cdr_deliveries(
    data: bytes, *, name: str, source: str, layout: CdrLayout, encoding: str = "auto",
    modified: datetime, now: datetime,
) -> list[Delivery]:  # fmt: skip
    """The deliveries of one CSV file's bytes, in file order (see the module docstring);
    ``name`` is the file's name as reasons and payloads cite it; ``modified`` dates the
    malformed rows. Never raises for a bad file: it becomes deliveries to quarantine."""
    digest = hashlib.sha256(data).hexdigest()
    try:
        text = decode_cdr(data, encoding=encoding)
    except (UnicodeDecodeError, LookupError):
        rows: list[GoodRow | BadRow] = [BadRow(0, f"cannot decode as {encoding}", "", "")]
    else:
        rows = list(parse_cdr(text, layout=layout))
    out = []
    for index, row in enumerate(rows, 1):
        position = json.dumps({"file": name, "digest": digest, "record": index,
                               "records": len(rows)})  # fmt: skip
        out.append(_delivery(row, name=name, source=source, position=position,
                             modified=modified, now=now, digest=digest))  # fmt: skip
    return out


def _delivery(
    row: GoodRow | BadRow, *, name: str, source: str, position: str, modified: datetime,
    now: datetime, digest: str,
) -> Delivery:  # fmt: skip
    if isinstance(row, BadRow):
        origin = {"file": name, "line": row.line}
        reason = f"bad_cdr_row: {name} line {row.line}: {row.reason}"
        malformed = {"malformed": reason, "origin": origin, "raw": row.raw}
        external_id = row.external_id or f"cdr:bad:{digest}:{row.line}"
        return Delivery(source, ChannelKind.PHONE, external_id, _json(malformed),
                        min(modified, now), position, quarantine=reason)  # fmt: skip
    assert isinstance(row, GoodRow)
    record = {**row.record, "origin": {**row.record["origin"], "file": name, "line": row.line}}
    payload = _json(record)
    received = min(datetime.fromisoformat(record["started_at"]).astimezone(UTC), now)
    try:
        parse_call(payload, received_at=received)
    except MalformedMessageError as exc:
        reason = f"{exc.reason}: {name} line {row.line}"
        return Delivery(source, ChannelKind.PHONE, row.external_id, payload, received,
                        position, quarantine=reason)  # fmt: skip
    return Delivery(source, ChannelKind.PHONE, row.external_id, payload, received, position)


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True).encode("utf-8")


@dataclass(frozen=True)
class _Position:
    name: str
    digest: str
    record: int
    records: int

    @property
    def key(self) -> str:
        return f"{self.name}|{self.digest}"

    @classmethod
    def of(cls, delivery: Delivery) -> _Position:
        data = json.loads(delivery.position)
        return cls(data["file"], data["digest"], int(data["record"]), int(data["records"]))


class CdrFolderChannel:
    """A folder of CSV call records as a channel; see :class:`Channel` for the contract."""

    kind = ChannelKind.PHONE

    def __init__(
        self, *, source: str, folder: Path, processed: Path, layout: CdrLayout,
        cursors: CursorStore, encoding: str = "auto", pattern: str = "*.csv",
    ) -> None:  # fmt: skip
        self.source = source
        self._folder, self._processed, self._layout = folder, processed, layout
        self._cursors, self._encoding, self._pattern = cursors, encoding, pattern

    @classmethod
    def from_config(
        cls, config: SourceConfig, *, cursors: CursorStore, environ: Mapping[str, str]
    ) -> CdrFolderChannel:
        """Build from a configured ``cdr-folder`` source (``environ`` is not needed)."""
        options = config.cdr
        assert options is not None
        layout = CdrLayout(options.format, ZoneInfo(options.timezone), options.columns)
        return cls(
            source=config.name, folder=options.path, processed=options.processed,
            layout=layout, cursors=cursors, encoding=options.encoding, pattern=options.pattern,
        )  # fmt: skip

    def pull(self, *, limit: int) -> list[Delivery]:
        """Up to ``limit`` records after the acked ones, oldest file first. A file whose
        records are all acked (or that has none) is moved to the processed folder here.
        Raises ChannelUnavailableError when the folder cannot be read."""
        acked = self._load()
        out: list[Delivery] = []
        try:
            for path in self._files():
                if len(out) >= limit:
                    break
                try:
                    data, modified = path.read_bytes(), _mtime(path)
                except FileNotFoundError:  # moved on by another poller since listed
                    continue
                deliveries = cdr_deliveries(
                    data, name=path.name, source=self.source, layout=self._layout,
                    encoding=self._encoding, modified=modified, now=datetime.now(UTC),
                )  # fmt: skip
                done = acked.get(f"{path.name}|{hashlib.sha256(data).hexdigest()}", 0)
                if done >= len(deliveries):
                    with contextlib.suppress(FileNotFoundError):
                        self._finish(path)
                    continue
                out.extend(deliveries[done : done + limit - len(out)])
        except OSError as exc:
            raise ChannelUnavailableError(
                f"CSV folder of source {self.source!r}: {exc.strerror or type(exc).__name__}"
            ) from exc
        return out

    def ack(self, deliveries: Sequence[Delivery]) -> None:
        """Record the records as acked (never moving a file's count back) and move every
        file whose records are all acked. Idempotent."""
        newest: dict[str, _Position] = {}
        for position in map(_Position.of, deliveries):
            if position.record > getattr(newest.get(position.key), "record", 0):
                newest[position.key] = position
        acked = self._load()
        present = self._present()
        changed = {
            key: p for key, p in newest.items()
            if p.record > acked.get(key, 0) and p.name in present
        }  # fmt: skip
        if not changed:
            return
        acked.update({key: position.record for key, position in changed.items()})
        self._save(acked)
        finished = [p for p in changed.values() if p.record >= p.records]
        try:
            for position in finished:
                path = self._folder / position.name
                with contextlib.suppress(FileNotFoundError):  # another poller moved it
                    if _digest(path) == position.digest:
                        self._finish(path)
        except OSError as exc:
            raise ChannelUnavailableError(
                f"CSV folder of source {self.source!r}: {exc.strerror or type(exc).__name__}"
            ) from exc
        for position in finished:
            acked.pop(position.key, None)
        self._save(acked)

    def close(self) -> None:
        """Nothing to release: files are opened and closed within each call."""

    def _files(self) -> list[Path]:
        if not self._folder.is_dir():
            raise FileNotFoundError(2, "no such folder", str(self._folder))
        files = [p for p in self._folder.iterdir() if self._matches(p.name) and p.is_file()]
        return sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name))

    def _matches(self, name: str) -> bool:
        """Whether ``name`` matches the pattern, ignoring case (``MASTER.CSV`` too)."""
        return fnmatch.fnmatch(name.lower(), self._pattern.lower())

    def _finish(self, path: Path) -> None:
        """Move ``path`` to the processed folder; FileNotFoundError if it is gone."""
        self._processed.mkdir(parents=True, exist_ok=True)
        target = self._processed / path.name
        if target.exists():
            target = self._processed / f"{path.stem}.{_digest(path)[:12]}{path.suffix}"
        os.replace(path, target)

    def _load(self) -> dict[str, int]:
        stored = self._cursors.load(self.source)
        if stored is None:
            return {}
        files: dict[str, int] = json.loads(stored)["files"]
        return files

    def _present(self) -> set[str]:
        if not self._folder.is_dir():
            return set()
        return {path.name for path in self._folder.iterdir() if self._matches(path.name)}

    def _save(self, acked: dict[str, int]) -> None:
        present = self._present()
        kept = {key: n for key, n in acked.items() if key.rpartition("|")[0] in present}
        self._cursors.save(self.source, json.dumps({"files": kept}, sort_keys=True))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
