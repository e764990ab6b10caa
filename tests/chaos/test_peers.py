"""The peers misbehave during a mixed load: the IMAP server drops connections mid-FETCH,
Twilio answers 429 (with Retry-After) and 5xx to sends and to the poller's lists, the SMTP
server refuses with 4xx before it accepts. Every item is still one ticket or one message,
and every notification arrives exactly once."""

from __future__ import annotations

import pytest

from tests.chaos.harness import Figures, Load, Rig, Tree, verify
from tests.chaos.proxy import DroppingProxy

ROUNDS = 8
IMAP_DROPS = 4
TWILIO_FAULTS = [{"status": 429, "retry_after": 1, "code": 20429}, {"status": 503},
                 {"status": 500}, {"status": 429, "retry_after": 1, "code": 20429},
                 {"status": 502}] * 2  # fmt: skip
SMTP_REFUSALS = ["451 4.3.0 Try again later", "421 4.7.0 Too busy", "450 4.2.1 Busy"]


@pytest.mark.slow
def test_imap_twilio_and_smtp_failing(rig: Rig) -> None:
    figures = Figures("peers")
    proxy = DroppingProxy(rig.mailbox.port, drops=IMAP_DROPS)
    rig.imap_port = proxy.port
    try:
        with Tree(rig) as tree:
            load = Load(rig)

            def strike(n: int) -> None:
                if n == 2:
                    rig.standin.control("faults", TWILIO_FAULTS)
                    rig.smtp.sink.replies.extend(SMTP_REFUSALS)

            load.feed(tree, ROUNDS, pace=0.8, during=strike)
            settled = tree.settle(load, seconds=180)
            counts = verify(tree, load)
    finally:
        proxy.close()
    assert proxy.dropped == IMAP_DROPS
    assert rig.smtp.sink.refused == len(SMTP_REFUSALS)
    figures.report(
        **counts, imap_drops=proxy.dropped, twilio_faults=len(TWILIO_FAULTS),
        smtp_refusals=rig.smtp.sink.refused, settle_seconds=round(settled, 1),
    )  # fmt: skip
