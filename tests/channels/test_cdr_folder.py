"""The call-centre CSV drop folder keeps the channel contract, quarantines bad rows with
their line, and moves a file to processed/ only when all its rows are acked."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from plaint.channels.phone.cdr import CdrLayout
from plaint.channels.phone.folder import CdrFolderChannel
from tests.channels.contract import ChannelContract, MemoryCursors, ids

LAYOUT = CdrLayout("asterisk", ZoneInfo("Asia/Shanghai"))
NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def row(n: int, *, notes: str = "楼道灯不亮") -> str:
    src = f"1380013{n:04d}"
    return (f'"","{src}","8001","from-pstn","""R{n}"" <{src}>","SIP/trunk-{n}","SIP/8001-{n}",'
            f'"Dial","SIP/8001","2026-11-02 09:{n % 60:02d}:00","2026-11-02 09:{n % 60:02d}:05",'
            f'"2026-11-02 09:{n % 60:02d}:50",50,45,"ANSWERED","DOCUMENTATION","17000{n}.0",'
            f'"{notes}"')  # fmt: skip


@dataclass
class DropFolder:
    """The contract's source: CSV files dropped one after another into a folder."""

    folder: Path
    numbers: itertools.count[int] = field(default_factory=itertools.count)
    files: int = 0

    def drop(self, lines: list[str], name: str | None = None) -> Path:
        self.files += 1
        path = self.folder / (name or f"export{self.files:03d}.csv")
        path.write_text("".join(line + "\n" for line in lines), "utf-8")
        stamp = 1_700_000_000 + self.files  # later files are newer
        os.utime(path, (stamp, stamp))
        return path

    def add(self, count: int) -> list[str]:
        numbers = [next(self.numbers) for _ in range(count)]
        self.drop([row(n) for n in numbers])
        channel = self.open(MemoryCursors())
        return [d.external_id for d in channel.pull(limit=1000)][-count:]

    def add_malformed(self) -> None:
        self.drop(['"a","broken","row'])

    def open(self, cursors: MemoryCursors) -> CdrFolderChannel:
        return CdrFolderChannel(source="desk", folder=self.folder,
                                processed=self.folder / "processed", layout=LAYOUT,
                                cursors=cursors)  # fmt: skip

    def open_unreachable(self, cursors: MemoryCursors) -> CdrFolderChannel:
        return CdrFolderChannel(source="desk", folder=self.folder / "gone",
                                processed=self.folder / "processed", layout=LAYOUT,
                                cursors=cursors)  # fmt: skip


@pytest.fixture
def drop(tmp_path: Path) -> DropFolder:
    folder = tmp_path / "drop"
    folder.mkdir()
    return DropFolder(folder)


class TestCdrFolderContract(ChannelContract):
    @pytest.fixture
    def contract_source(self, drop: DropFolder) -> DropFolder:
        return drop


def test_a_file_moves_to_processed_only_when_all_its_rows_are_acked(drop: DropFolder) -> None:
    path = drop.drop([row(1), row(2), row(3)], name="Master.csv")
    cursors = MemoryCursors()
    channel = drop.open(cursors)
    channel.ack(channel.pull(limit=2))
    assert path.exists()  # one row is not durable yet
    rest = channel.pull(limit=10)
    assert len(rest) == 1
    channel.ack(rest)
    assert not path.exists()
    assert (drop.folder / "processed" / "Master.csv").exists()
    assert json.loads(cursors.values["desk"]) == {"files": {}}


def test_a_malformed_row_is_quarantined_with_its_file_and_line(drop: DropFolder) -> None:
    drop.drop([row(1), '"x","y"', row(2)], name="day.csv")
    channel = drop.open(MemoryCursors())
    items = channel.pull(limit=10)
    assert [d.quarantine for d in items] == [
        None, "bad_cdr_row: day.csv line 2: an Asterisk row has 18 or 21 fields, this one 2", None
    ]  # fmt: skip
    channel.ack(items)
    assert (drop.folder / "processed" / "day.csv").exists()


def test_a_file_dropped_again_gives_the_same_ids(drop: DropFolder) -> None:
    cursors = MemoryCursors()
    drop.drop([row(1), row(2)], name="Master.csv")
    channel = drop.open(cursors)
    first = channel.pull(limit=10)
    channel.ack(first)
    drop.drop([row(1), row(2)], name="Master.csv")  # the same export again
    again = channel.pull(limit=10)
    assert ids(again) == ids(first)
    channel.ack(again)
    processed = sorted(p.name for p in (drop.folder / "processed").iterdir())
    assert len(processed) == 2
    assert "Master.csv" in processed


def test_a_changed_file_of_the_same_name_is_read_again(drop: DropFolder) -> None:
    cursors = MemoryCursors()
    drop.drop([row(1), row(2)], name="Master.csv")
    channel = drop.open(cursors)
    channel.ack(channel.pull(limit=1))
    drop.drop([row(1), row(2), row(3)], name="Master.csv")  # appended to by the PBX
    assert len(channel.pull(limit=10)) == 3  # the old rows' ids are the same: no duplicates


def test_an_empty_file_is_moved_on(drop: DropFolder) -> None:
    drop.drop([], name="empty.csv")
    channel = drop.open(MemoryCursors())
    assert channel.pull(limit=10) == []
    assert (drop.folder / "processed" / "empty.csv").exists()


def test_two_pollers_at_once_store_each_row_once(
    db_url: str, drop: DropFolder, tmp_path: Path
) -> None:
    """Without the poll lock (as if it failed), two processes polling one folder still
    make one inbox row per record: the inbox's unique key decides."""
    from sqlalchemy import func, select

    from plaint.models import Inbox, create_db_engine, session_factory
    from plaint.service.store import DbCursorStore

    for start in range(0, 60, 20):
        drop.drop([row(n) for n in range(start, start + 20)])
    engine = create_db_engine(db_url)
    # The cursor row exists, as after a first poll (DbCursorStore's first save is an
    # INSERT, which two savers at once would both attempt).
    DbCursorStore(session_factory(engine), clock=lambda: NOW).save("desk", '{"files": {}}')
    go = tmp_path / "go"
    argv = [sys.executable, str(Path(__file__).with_name("cdr_poller.py")), db_url,
            str(drop.folder), str(go)]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    processes = [subprocess.Popen(argv, env=env) for _ in range(2)]
    go.touch()
    assert [p.wait(timeout=120) for p in processes] == [0, 0]
    with session_factory(engine)() as session:
        rows = session.scalar(select(func.count()).select_from(Inbox))
        distinct = session.scalar(select(func.count(func.distinct(Inbox.external_id))))
    engine.dispose()
    assert rows == distinct == 60
    assert len(list((drop.folder / "processed").iterdir())) == 3


def test_file_names_match_the_pattern_in_any_case(drop: DropFolder) -> None:
    drop.drop([row(1)], name="MASTER.CSV")
    drop.drop([row(2)], name="notes.txt")
    channel = drop.open(MemoryCursors())
    assert len(channel.pull(limit=10)) == 1
