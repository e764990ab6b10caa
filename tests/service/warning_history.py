"""A generated ticket history for the early-warning tests: four weeks of a steady rate
in every building, optionally with a spike of lift complaints in one building today.

    python -m tests.service.warning_history sweep DB_URL CONFIG GO_FILE NOW_ISO

runs one early-warning sweep when GO_FILE appears (the concurrency test starts several
at once) and prints its result as JSON.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from plaint.config import Config, load_config
from plaint.models import Department, Resident, Ticket, create_db_engine, session_factory
from plaint.service.directory import sync_directory
from plaint.service.warning_sweep import sweep_warnings

NOW = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)  # a Tuesday, 17:00 in Shanghai: staff hours
COMMUNITIES = ("阳光花园", "翠湖苑")
BUILDINGS = ("1", "2", "3", "4")
# sub-topic: (department, a ticket every this many days in every building)
STEADY = {"lift": ("engineering", 4), "noise": ("security", 3), "cleaning": ("cleaning", 7)}
SPIKE_PLACE = ("阳光花园", "3")
GO_WAIT_SECONDS = 60


def write_history(
    session: Session, config: Config, *, spike: int = 0, now: datetime = NOW, sync: bool = True
) -> list[str]:
    """Write 29 days of steady tickets before ``now`` and ``spike`` lift tickets in
    SPIKE_PLACE within the last hours; return the spike tickets' numbers. ``sync``: first
    make the departments and staff those of ``config``."""
    if sync:
        sync_directory(session, config, now=now)
    departments = {d.code: d.id for d in session.scalars(select(Department))}
    residents: dict[tuple[str, str], Resident] = {}
    for community in COMMUNITIES:
        for building in BUILDINGS:
            resident = Resident(community=community, building=building, created_at=now)
            session.add(resident)
            residents[(community, building)] = resident
    session.flush()
    made = 0

    def ticket(place: tuple[str, str], sub_topic: str, at: datetime) -> Ticket:
        nonlocal made
        made += 1
        row = Ticket(number=f"TH-{made:06d}", channel="phone", category="facility",
                     sub_topic=sub_topic, scope=1, level=1, urgency="normal", validity="valid",
                     confidence=0.9, department_id=departments[STEADY[sub_topic][0]],
                     resident_id=residents[place].id, received_at=at, created_at=at)  # fmt: skip
        session.add(row)
        return row

    for i, place in enumerate(residents):
        for sub_topic, (_, every) in STEADY.items():
            for day in range(i % every, 29, every):
                ticket(place, sub_topic, now - timedelta(days=day, hours=3 + i % 5))
    session.flush()
    return add_spike(session, spike, now=now)


def add_spike(session: Session, count: int, *, now: datetime) -> list[str]:
    """Add ``count`` lift tickets in SPIKE_PLACE in the hours before ``now`` (newest
    first); return their numbers."""
    resident = session.scalars(
        select(Resident).where(Resident.community == SPIKE_PLACE[0],
                               Resident.building == SPIKE_PLACE[1])
    ).first()  # fmt: skip
    engineering = session.scalar(select(Department.id).where(Department.code == "engineering"))
    assert resident is not None
    assert engineering is not None
    rows = [
        Ticket(number=f"TS-S{now:%m%d}-{h:04d}", channel="sms", category="facility",
               sub_topic="lift", scope=1, level=1, urgency="normal", validity="valid",
               confidence=0.9, department_id=engineering, resident_id=resident.id,
               received_at=now - timedelta(hours=1 + h), created_at=now)
        for h in range(count)
    ]  # fmt: skip
    session.add_all(rows)
    session.flush()
    return [row.number for row in rows]


def _sweep(db_url: str, config_path: str, go_file: str, now: str) -> None:
    config = load_config(Path(config_path))
    sessions = session_factory(create_db_engine(db_url))
    deadline = time.monotonic() + GO_WAIT_SECONDS
    while not Path(go_file).exists():  # released together with the other processes
        if time.monotonic() > deadline:
            raise SystemExit("no go file")
        time.sleep(0.01)
    result = sweep_warnings(sessions, config=config, now=datetime.fromisoformat(now))
    print(json.dumps({"opened": result.opened, "notifications": result.notifications}))


if __name__ == "__main__":
    if sys.argv[1] != "sweep":
        raise SystemExit(__doc__)
    _sweep(*sys.argv[2:6])
