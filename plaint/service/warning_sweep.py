"""The early-warning sweep: record each spike episode once and tell the configured roles.

A spike episode of a (place, sub-topic) opens at the first sweep that flags it and stays
open while later sweeps flag it again; it ends at the first sweep that no longer flags
it a whole window after it was last flagged (every ticket that made it has left the
window, so a count hovering at the threshold does not open a new episode on every
sweep). At most one episode per place and sub-topic is open — a partial unique index on
``warning_spikes`` — and the new row is inserted with ``ON CONFLICT DO NOTHING``: of two
sweeps running at once, exactly one inserts it, and only the one that inserted notifies,
in the same transaction. A later episode, after the spike subsided, is a new row and is
announced again.

Who is told: ``[early_warning] notify`` (roles; empty by default, so nobody), at the next
instant of each person's working hours; the outbox row's key is the episode and the
person, so the outbox sends it once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import not_, tuple_, update
from sqlalchemy.orm import Session, sessionmaker

from plaint.config import Config
from plaint.models import Notification, WarningSpike
from plaint.pipeline.spikes import Spike
from plaint.pipeline.texts import sub_topic_name
from plaint.service.directory import Directory, StaffEntry, load_directory, reachable_from
from plaint.service.early_warning import EarlyWarning, current_warnings
from plaint.service.store import dialect_insert

__all__ = ["SPIKE_TEMPLATE", "WarningSweepResult", "sweep_warnings"]

logger = logging.getLogger(__name__)

SPIKE_TEMPLATE = "warning.spike"


@dataclass(frozen=True)
class WarningSweepResult:
    """What one sweep did: spikes flagged, episodes opened and ended, outbox rows."""

    flagged: int = 0
    opened: int = 0
    ended: int = 0
    notifications: int = 0


def sweep_warnings(
    sessions: sessionmaker[Session], *, config: Config, now: datetime
) -> WarningSweepResult:
    """Find the spikes at ``now``, end the episodes that subsided, open (and announce)
    the new ones, in one transaction. Safe to run concurrently and to repeat."""
    with sessions.begin() as session:
        warnings = current_warnings(session, config=config, now=now)
        ended = _end_subsided(session, warnings, config=config, now=now)
        notify = bool(config.early_warning.notify) and bool(warnings)
        directory = load_directory(session) if notify else Directory(())
        opened = notifications = 0
        for warning in warnings:
            spike_id = _open(session, warning, now=now)
            if spike_id is None:
                _refresh(session, warning, now=now)
                continue
            opened += 1
            logger.info("early warning: spike %s opened", spike_id)
            notifications += _notify(session, spike_id, warning, config=config,
                                     directory=directory, now=now)  # fmt: skip
    return WarningSweepResult(len(warnings), opened, ended, notifications)


def _identity(warning: EarlyWarning) -> tuple[str, str]:
    return warning.spike.place.key, warning.spike.sub_topic


def _end_subsided(
    session: Session, warnings: list[EarlyWarning], *, config: Config, now: datetime
) -> int:
    statement = update(WarningSpike).where(
        WarningSpike.ended_at.is_(None),
        WarningSpike.last_flagged_at <= now - config.early_warning.test.window,
    )
    if flagged := [_identity(w) for w in warnings]:
        still = tuple_(WarningSpike.place, WarningSpike.sub_topic).in_(flagged)
        statement = statement.where(not_(still))
    result = session.execute(statement.values(ended_at=now))
    return int(getattr(result, "rowcount", 0) or 0)


def _figures(warning: EarlyWarning) -> dict[str, object]:
    spike = warning.spike
    return {"recent": spike.recent, "expected": spike.expected, "p_value": spike.p_value}


def _open(session: Session, warning: EarlyWarning, *, now: datetime) -> int | None:
    """Insert the open episode; its id, or None when one is open already."""
    place, sub_topic = _identity(warning)
    statement = (
        dialect_insert(session, WarningSpike)
        .values(place=place, sub_topic=sub_topic, started_at=now, last_flagged_at=now,
                **_figures(warning))
        .on_conflict_do_nothing(index_elements=["place", "sub_topic"],
                                index_where=WarningSpike.ended_at.is_(None))
        .returning(WarningSpike.id)
    )  # fmt: skip
    spike_id: int | None = session.scalar(statement)
    return spike_id


def _refresh(session: Session, warning: EarlyWarning, *, now: datetime) -> None:
    place, sub_topic = _identity(warning)
    session.execute(
        update(WarningSpike)
        .where(WarningSpike.place == place, WarningSpike.sub_topic == sub_topic,
               WarningSpike.ended_at.is_(None))
        .values(last_flagged_at=now, **_figures(warning))
    )  # fmt: skip


def _recipients(warning: EarlyWarning, *, config: Config, directory: Directory) -> list[StaffEntry]:
    """The staff with a ``notify`` role; a department role in the sub-topic's department."""
    entry = config.taxonomy.sub_topics.get(warning.spike.sub_topic)
    department = entry[1] if entry else config.routing.fallback_department
    found: dict[str, StaffEntry] = {}
    for role in config.early_warning.notify:
        for staff in directory.with_role(role, department=department):
            found.setdefault(staff.code, staff)
    return list(found.values())


def _place_text(spike: Spike) -> str:
    """The place as staff say it: 阳光花园3栋, or the community alone."""
    place = spike.place
    return place.community if place.building is None else f"{place.community}{place.building}栋"


def _notify(
    session: Session, spike_id: int, warning: EarlyWarning, *, config: Config,
    directory: Directory, now: datetime,
) -> int:  # fmt: skip
    spike = warning.spike
    data = {
        "place": _place_text(spike),
        "topic": sub_topic_name(spike.sub_topic, language="zh"),
        "sub_topic": spike.sub_topic,
        "recent": spike.recent,
        "expected": f"{spike.expected:.1f}",
        "tickets": " ".join(t.number for t in warning.tickets),
    }
    recipients = _recipients(warning, config=config, directory=directory)
    for staff in recipients:
        session.add(
            Notification(
                key=f"warning:{spike_id}:{staff.code}", ticket_id=None, recipient_kind="staff",
                recipient=staff.code, template=SPIKE_TEMPLATE, urgent=False, created_at=now,
                not_before=reachable_from(staff, config=config, now=now), data=data,
            )
        )  # fmt: skip
    return len(recipients)
