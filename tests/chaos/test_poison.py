"""A poison item on every channel amid a mixed load — a mail without a usable sender, an
SMS from no phone number (pulled from Twilio), a broken CSV row, an AMQP body that is not
JSON — ends quarantined with its reason, never blocks the others, and is replayable:
``plaint inbox replay --all-quarantined`` puts each back to triage, where it ends
quarantined again (still poison) without a ticket or a notification."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from plaint.models import Inbox, InboxStatus
from tests.chaos.harness import Figures, Load, Rig, Tree, run_cli, verify, wait

ROUNDS = 4
POISON = 4


def _poison(rig: Rig, load: Load) -> None:
    rig.mailbox.append(b"Subject: x\r\nMessage-ID: <poison@example.com>\r\n\r\nbody")
    rig.standin.control("items/Messages", {"from": "not-a-phone", "to": "+8610690000",
                                           "body": "x", "direction": "inbound",
                                           "status": "received"})  # fmt: skip
    (rig.drop / "Broken-0001.csv").write_text('"broken","row\n', "utf-8")
    load.publish([b"\xff not json {"], "poison-1")


@pytest.mark.slow
def test_poison_items_are_quarantined_and_replayable(rig: Rig) -> None:
    figures = Figures("poison")
    with Tree(rig) as tree:
        load = Load(rig)
        load.feed(tree, ROUNDS, pace=0.5, during=lambda n: _poison(rig, load) if n == 2 else None)
        tree.settle(load, quarantined=POISON)
        verify(tree, load, quarantined=POISON)
        with tree.engine.connect() as connection:
            before = connection.execute(
                select(Inbox.id, Inbox.source, Inbox.error).where(
                    Inbox.status == InboxStatus.QUARANTINED)
            ).all()  # fmt: skip
        assert sorted(s for _, s, _ in before) == ["desk", "mail", "pbx", "twilio-sms"]
        assert all(error for _, _, error in before), "a quarantined row without its reason"
        stamp = tree.scalar(select(func.max(Inbox.processed_at)))
        replayed = run_cli(rig, tree, "inbox", "replay", "--all-quarantined")
        assert replayed.returncode == 0, replayed.stderr
        again = (
            select(func.count())
            .select_from(Inbox)
            .where(Inbox.status == InboxStatus.QUARANTINED, Inbox.processed_at > stamp)
        )
        wait(lambda: tree.scalar(again) == POISON, seconds=60,
             what="the replayed rows triaged again")  # fmt: skip
        tree.settle(load, quarantined=POISON)
        counts = verify(tree, load, quarantined=POISON)
    figures.report(**counts, poison=POISON, replay=replayed.stdout.strip().splitlines()[0])
