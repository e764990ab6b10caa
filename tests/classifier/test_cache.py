"""Workers pick up a newly trained model without a restart, and triage uses it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from plaint.classifier.cache import ModelCache
from plaint.classifier.textmodel import fit
from plaint.cli import main
from plaint.models import Ticket
from plaint.service.staff import reclassify
from plaint.service.triage import triage_inbox
from tests.plant import Plant
from tests.workers.test_flow import complaint

ROWS = [
    ("the zorblat pile is overflowing", "garbage"), ("zorblat heap near block 3", "garbage"),
    ("please remove the zorblat", "garbage"), ("zorblat all over the yard", "garbage"),
    ("the vextron is stuck between floors", "lift"), ("vextron not moving", "lift"),
    ("vextron buttons dead", "lift"), ("vextron makes a grinding sound", "lift"),
]  # fmt: skip


def train(directory: Path, rows: list[tuple[str, str]]) -> str:
    model = fit([t for t, _ in rows], [label for _, label in rows], label_field="sub_topic")
    return model.save(directory)


def test_the_cache_reloads_when_the_pointer_moves_and_survives_a_bad_model(
    tmp_path: Path,
) -> None:
    assert ModelCache(None).current() is None
    cache = ModelCache(tmp_path)
    assert cache.current() is None  # nothing trained yet
    train(tmp_path, ROWS)
    first = cache.current()
    assert first is not None
    assert first.info.version == "v1"
    assert cache.current() is first  # unchanged pointer: no reload
    train(tmp_path, ROWS[::-1])
    second = cache.current()
    assert second is not None
    assert second.info.version == "v2"
    (tmp_path / "current").write_text("v99")  # a broken deploy
    assert cache.current() is second


def test_triage_takes_the_models_sub_topic_when_the_rules_have_none(
    plant: Plant, tmp_path: Path
) -> None:
    train(tmp_path, ROWS)
    model = ModelCache(tmp_path).current()
    plant.mailbox.append(complaint(1, "vextron stuck again on 5"))
    plant.actors.poll_source.fn("mail")
    plant.drain()  # the worker triaged it without a model: the rules found nothing
    [rules_only] = plant.tickets()
    plant.mailbox.append(complaint(2, "the vextron is not moving"))
    plant.stop_worker()
    plant.actors.poll_source.fn("mail")
    new_row = plant.inbox()[-1].id
    with plant.sessions.begin() as session:
        triage_inbox(session, new_row, config=plant.rt.config, now=plant.clock(), model=model)
    with_model = plant.tickets()[-1]
    assert rules_only.sub_topic == "other"
    assert (with_model.sub_topic, with_model.department.code) == ("lift", "engineering")
    assert "model:v1" in with_model.events[1].data["rules"]


def test_staff_corrections_train_the_model(
    plant: Plant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """A reclassification by staff is a labelled example: ``plaint train --corrections``
    learns from them, and the new model decides what the rules could not."""
    texts = ["the vextron is stuck between floors", "vextron not moving",
             "the zorblat pile is overflowing", "zorblat heap near block 3"]  # fmt: skip
    for n, text in enumerate(texts):
        plant.mailbox.append(complaint(n, text))
    plant.poll()
    with plant.sessions.begin() as session:
        for ticket in session.scalars(select(Ticket)):
            body = ticket.messages[0].body
            label = "lift" if "vextron" in body else "garbage"
            reclassify(session, ticket, actor="desk", at=plant.clock(), config=plant.rt.config,
                       codes={"sub_topic": label})  # fmt: skip
    monkeypatch.setenv("PLAINT_DATABASE_URL", plant.rt.settings.database_url)
    out = tmp_path / "model"
    assert main(["train", "--corrections", "--label-field", "sub_topic", "--out", str(out)]) == 0
    assert "4 staff corrections of 'sub_topic'" in capsys.readouterr().err
    model = ModelCache(out).current()
    assert model is not None
    assert model.predict(["vextron stuck"])[0].label == "lift"
