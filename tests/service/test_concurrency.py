"""Uniqueness under concurrency, with real processes on PostgreSQL: one ticket per
problem, one incident per series, one number per ticket. Each scenario runs several
times: a race that passes once proves little."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from plaint.channels.base import Delivery
from plaint.config import Config
from plaint.inbound import ChannelKind
from plaint.models import Incident, Message, Ticket, create_db_engine, session_factory
from plaint.service.residents import import_residents
from plaint.service.store import store_delivery, sync_departments
from tests.servers import PostgresServer
from tests.workers.test_flow import complaint

REPO = Path(__file__).resolve().parents[2]
ROUNDS = 3
PROCESSES = 2


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> str:
    from plaint.models.migrate import upgrade

    url = postgres_server.create_database(f"conc{os.getpid()}_{datetime.now(UTC):%H%M%S%f}")
    engine = create_db_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def _store(sessions: sessionmaker[Session], mails: list[bytes]) -> list[int]:
    base = datetime.now(UTC) - timedelta(minutes=5)
    ids = []
    with sessions.begin() as session:
        for i, raw in enumerate(mails):
            delivery = Delivery("mail", ChannelKind.EMAIL, f"<m{i}-{id(mails)}@t>", raw,
                                base + timedelta(seconds=i), "")  # fmt: skip
            ids.append(store_delivery(session, delivery, now=base).inbox_id)
    return ids


def _triage_at_once(
    tmp_path: Path, url: str, config_file: Path, ids: list[int], *, threads: int
) -> list[dict[str, int]]:
    """Triage ``ids`` split over PROCESSES processes of ``threads`` threads, released
    together."""
    go = tmp_path / f"go-{ids[0]}"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.service.concurrent_triage",
                url,
                str(config_file),
                str(go),
                str(threads),
                *map(str, ids[p::PROCESSES]),
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for p in range(PROCESSES)
    ]
    go.touch()
    results = []
    for proc in procs:
        out, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


@pytest.fixture
def setup(
    pg_url: str, tmp_path: Path, make_config: Callable[..., Config]
) -> Iterator[tuple[str, Path, sessionmaker[Session]]]:
    config_file = tmp_path / "plaint.toml"
    config_file.write_text("", "utf-8")
    config = make_config("")
    engine = create_db_engine(pg_url)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        sync_departments(session, config.departments)
    yield pg_url, config_file, sessions
    engine.dispose()


def _count(sessions: sessionmaker[Session], query: object) -> int:
    with sessions() as session:
        return int(session.scalar(query) or 0)  # type: ignore[call-overload]


@pytest.mark.postgres
@pytest.mark.slow
def test_near_identical_mails_from_one_resident_at_once_are_one_ticket(
    setup: tuple[str, Path, sessionmaker[Session]], tmp_path: Path
) -> None:
    url, config_file, sessions = setup
    for round_ in range(ROUNDS):
        resident = 100 + round_
        texts = [f"3号楼2单元电梯又坏了，第{n}次反映，困在里面半小时" for n in range(10)]
        mails = [
            complaint(resident, t).replace(b"<c", f"<n{n}-c".encode()) for n, t in enumerate(texts)
        ]
        # A known resident with a known unit: no insert or update to queue behind.
        known = {"email": f"resident{resident}@example.com", "building": "3", "unit": "2-1201"}
        with sessions.begin() as session:
            import_residents(session, [known], now=datetime.now(UTC))
        ids = _store(sessions, mails)
        _triage_at_once(tmp_path, url, config_file, ids, threads=5)
        with sessions() as session:
            tickets = session.scalars(
                select(Ticket).join(Message).where(Message.inbox_id.in_(ids)).distinct()
            ).all()
            assert len(tickets) == 1, f"round {round_}: {len(tickets)} tickets"
            messages = session.scalar(
                select(func.count()).select_from(Message).where(Message.inbox_id.in_(ids))
            )
            assert messages == 10


@pytest.mark.postgres
@pytest.mark.slow
def test_ten_residents_of_one_building_at_once_are_one_incident(
    setup: tuple[str, Path, sessionmaker[Session]], tmp_path: Path
) -> None:
    url, config_file, sessions = setup
    for round_ in range(ROUNDS):
        building = 20 + round_
        mails = [complaint(1000 * (round_ + 1) + n, f"{building}号楼今天一直停水，没有任何通知")
                 for n in range(10)]  # fmt: skip
        ids = _store(sessions, mails)
        _triage_at_once(tmp_path, url, config_file, ids, threads=5)
        with sessions() as session:
            incidents = session.scalars(
                select(Ticket.incident_id).join(Message).where(Message.inbox_id.in_(ids))
            ).all()
        assert len(incidents) == 10
        assert None not in incidents, f"round {round_}: {incidents}"
        assert len(set(incidents)) == 1, f"round {round_}: {incidents}"
    assert _count(sessions, select(func.count()).select_from(Incident)) == ROUNDS


@pytest.mark.postgres
@pytest.mark.slow
def test_500_items_with_16_threads_get_500_unique_numbers(
    setup: tuple[str, Path, sessionmaker[Session]], tmp_path: Path
) -> None:
    url, config_file, sessions = setup
    topics = ["楼道灯坏了", "垃圾没人清运", "物业费发票", "保安态度差", "绿化带被踩坏"]
    for round_ in range(2):
        mails = [complaint(10_000 * (round_ + 1) + n, f"{n % 50 + 1}号楼{topics[n % 5]}")
                 for n in range(250)]  # fmt: skip
        ids = _store(sessions, mails)
        _triage_at_once(tmp_path, url, config_file, ids, threads=8)
    with sessions() as session:
        numbers = session.scalars(select(Ticket.number)).all()
    assert len(numbers) == len(set(numbers))
    assert len(numbers) >= 2 * 250 - 10  # a few may join a near-duplicate of their unit
