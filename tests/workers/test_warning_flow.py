"""The early-warning sweep through the worker: the clock's message runs the actor, which
records the spike and puts one notification for the property manager in the outbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from plaint.models import Notification, WarningSpike
from plaint.service.warning_sweep import SPIKE_TEMPLATE
from tests.plant import Plant
from tests.service.warning_history import NOW, write_history
from tests.workers.test_sla_flow import STAFF

NOTIFY = STAFF + '\n[early_warning]\nnotify = ["property_manager"]\n'


def test_the_warning_sweep_actor_announces_a_spike_once(make_plant: Callable[[str], Plant]) -> None:
    plant = make_plant(NOTIFY)
    with plant.sessions.begin() as session:
        write_history(session, plant.rt.config, spike=6, now=NOW)
    for minutes in (0, 10):
        plant.clock.set(NOW + timedelta(minutes=minutes))
        plant.actors.warning_sweep.send()
        plant.drain()
    with plant.sessions() as session:
        spikes = session.scalars(select(WarningSpike)).all()
        rows = session.scalars(
            select(Notification).where(Notification.template == SPIKE_TEMPLATE)
        ).all()
    assert [(s.place, s.sub_topic, s.ended_at) for s in spikes] == [("阳光花园/3", "lift", None)]
    assert [(r.recipient, r.key) for r in rows] == [("li.pm", f"warning:{spikes[0].id}:li.pm")]
