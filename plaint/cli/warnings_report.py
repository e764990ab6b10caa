"""``plaint report warnings [--json] [--as-of ISO8601]``: the early-warning spikes now.

One row per spike (:func:`plaint.service.early_warning.current_warnings`, the test of
``[early_warning]``): the place, the sub-topic, the tickets of the recent window against
the usual count, the tail probability and the tickets' numbers. Read-only: nobody is
notified (the clock's sweep does that). A bad ``--as-of`` is a ConfigError (one line).
"""

from __future__ import annotations

import argparse
from typing import Any

from plaint.cli.common import open_db, parse_instant
from plaint.cli.output import print_table

__all__ = ["register_warnings"]

_HEADERS = ("place", "sub_topic", "recent", "expected", "p_value", "tickets")


def register_warnings(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``report warnings`` to the ``report`` command's sub-commands."""
    warnings = commands.add_parser(
        "warnings",
        help="early warning: sub-topics unusually frequent in a building or community",
        description="Spikes of one sub-topic in one building or community: the tickets of "
        "the last window against the same place's usual rate ([early_warning] in the "
        "configuration), most improbable first.",
    )
    warnings.add_argument("--json", action="store_true", help="print one JSON array")
    warnings.add_argument("--as-of", metavar="ISO8601",
                          help="look at this instant (default: now)")  # fmt: skip
    warnings.set_defaults(handler=_warnings)


def _warnings(args: argparse.Namespace) -> int:
    from plaint.service.early_warning import current_warnings

    with open_db() as (sessions, config), sessions() as session:
        now = parse_instant(args.as_of, config.timezone, option="--as-of")
        found = current_warnings(session, config=config, now=now)
    rows: list[dict[str, Any]] = [
        {"place": w.spike.place.key, "scope": w.spike.place.kind, "sub_topic": w.spike.sub_topic,
         "recent": w.spike.recent, "expected": round(w.spike.expected, 3),
         "p_value": w.spike.p_value, "tickets": [t.number for t in w.tickets]}
        for w in found
    ]  # fmt: skip
    cells = [
        (r["place"], r["sub_topic"], str(r["recent"]), f"{r['expected']:.2f}",
         f"{r['p_value']:.1e}", " ".join(r["tickets"]))
        for r in rows
    ]  # fmt: skip
    print_table(_HEADERS, cells, json_rows=rows, as_json=args.json)
    return 0
