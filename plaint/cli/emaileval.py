"""``plaint eval email-corpus DIR``: the email channel's parser scored on mail corpora.

Prints, per corpus and field, how many mails were checked and how many passed; with
``--json`` one JSON object, corpus → field → ``{"n": …, "ok": …}``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from plaint.errors import NotFoundError

if TYPE_CHECKING:
    _Subparsers: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]

__all__ = ["register"]


def register(commands: _Subparsers) -> None:
    """Add ``email-corpus`` under ``plaint eval``."""
    corpus = commands.add_parser(
        "email-corpus",
        help="score the email parser on a folder of mail corpora",
        description="Run the email channel's parser over a folder laid out like "
        "shared/eval/email-corpus (any subset of its corpora) and print a score per "
        "corpus and field.",
    )
    corpus.add_argument("folder", type=Path, metavar="DIR")
    corpus.add_argument("--json", action="store_true", help="print one JSON object")
    corpus.set_defaults(handler=_email_corpus)


def _email_corpus(args: argparse.Namespace) -> int:
    from plaint.cli.output import print_json, print_table
    from plaint.service.emailcorpus import score_folder

    folder: Path = args.folder
    if not folder.is_dir():
        raise NotFoundError(f"{folder} is not a folder")
    scores = score_folder(folder)
    if args.json:
        print_json({corpus: {field: {"n": t.n, "ok": t.ok} for field, t in fields.items()}
                    for corpus, fields in scores.items()})  # fmt: skip
        return 0
    rows = [
        [corpus, field, str(t.n), str(t.ok), f"{100 * t.ok / t.n:.1f}" if t.n else "-"]
        for corpus, fields in scores.items()
        for field, t in fields.items()
    ]
    print_table(["corpus", "field", "n", "ok", "%"], rows)
    return 0
