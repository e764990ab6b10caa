"""The accounting the chaos suite and ``bench/soak.py`` end on sees a lost and a
duplicated effect of every kind (counters only: no server, no load)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

import pytest

from tests.chaos.accounting import Observed, tally

# Two residents, three items (the second resident replied once): one SMS ack, one mail ack.
CLEAN = Observed(
    statuses=Counter({"done": 3}),
    per_row=[1, 1, 1],
    senders=[(1, "+8613900000001"), (2, "r2@example.com"), (2, "r2@example.com")],
    notices=[("sms", "sent", "SM1"), ("email", "sent", "<m2@plaint>")],
    texts=[{"sid": "SM1", "to": "+8613900000001", "body": "已受理"}],
    mails=["<m2@plaint>"],
    marks=[1, 1],
)


def test_a_clean_run_is_exactly_once() -> None:
    counts = tally(CLEAN, items=3, residents=2)
    assert counts.clean, counts.problems()
    assert counts.figures["tickets"] == 2


LOST: list[tuple[str, dict[str, Any]]] = [
    ("items", {"statuses": Counter({"done": 2})}),
    ("stuck_in_inbox", {"statuses": Counter({"done": 2, "pending": 1})}),
    ("messages", {"per_row": [1, 1]}),
    (
        "unsent_notices",
        {"notices": [("sms", "sent", "SM1"), ("email", "pending", None)], "mails": []},
    ),
    ("sms", {"texts": []}),
    ("mails", {"mails": []}),
]
DUPLICATED: list[tuple[str, dict[str, Any]]] = [
    ("messages", {"per_row": [1, 1, 2]}),
    (
        "tickets",
        {"senders": [(1, "+8613900000001"), (2, "r2@example.com"), (3, "r2@example.com")]},
    ),
    ("sms", {"texts": [*CLEAN.texts, {"sid": "SM9", "to": "+8613900000001", "body": "已受理"}]}),
    ("mails", {"mails": ["<m2@plaint>", "<m2@plaint>"]}),
    ("sla_marks", {"marks": [1, 2]}),
]


CASES = [("lost", kind, change) for kind, change in LOST] + [
    ("duplicated", kind, change) for kind, change in DUPLICATED
]


@pytest.mark.parametrize(("what", "kind", "change"), CASES, ids=[f"{w}-{k}" for w, k, _ in CASES])
def test_a_lost_or_duplicated_effect_is_counted(
    what: str, kind: str, change: dict[str, Any]
) -> None:
    counts = tally(replace(CLEAN, **change), items=3, residents=2)
    assert not counts.clean
    assert getattr(counts, what)[kind] == 1, counts.problems()
    other = counts.duplicated if what == "lost" else counts.lost
    assert not any(other.values()), counts.problems()


def test_expected_poison_is_not_lost_but_a_missing_quarantine_is() -> None:
    poisoned = replace(CLEAN, statuses=Counter({"done": 3, "quarantined": 1}))
    assert tally(poisoned, items=3, residents=2, quarantined=1).clean
    assert tally(CLEAN, items=3, residents=2, quarantined=1).lost["quarantine_mismatch"] == 1


def test_a_mail_resent_in_doubt_is_counted_apart_only_as_far_as_its_attempts_go() -> None:
    """SMTP cannot be asked: a mail whose first attempt went unrecorded comes again with
    the same Message-ID as a second attempt. That is reported, not a duplicate; a third
    copy of a twice-attempted mail, or a copy of a once-attempted one, is."""
    twice = replace(CLEAN, mails=["<m2@plaint>", "<m2@plaint>"], mail_attempts={"<m2@plaint>": 2})
    counts = tally(twice, items=3, residents=2)
    assert counts.clean, counts.problems()
    assert counts.figures["mails_resent_in_doubt"] == 1
    thrice = replace(twice, mails=["<m2@plaint>"] * 3)
    assert tally(thrice, items=3, residents=2).duplicated["mails"] == 1
