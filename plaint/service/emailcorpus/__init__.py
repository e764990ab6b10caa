"""The email channel's conformance harness: its own parser scored on public mail corpora.

:func:`score_folder` reads a folder laid out like ``../shared/eval/email-corpus`` (any
subset of its corpora) and returns corpus → field → :class:`Tally`. Fields: ``from``,
``from_name``, ``subject``, ``to``, ``cc`` (as sets), ``body`` (similarity ≥ 0.9 after
normalising whitespace), ``attachments`` (expected SHA-256 ⊆ parsed), ``mojibake_free``
(every mail: no U+FFFD and no mojibake in subject and body), ``automatic`` /
``ordinary`` (loop corpora), ``reply_text`` (visible text after stripping; also
``reply_text_exact`` for the fixtures that state the whole text) and ``no_crash`` (every
mail: parsed or refused with MalformedMessageError within :data:`MAX_SECONDS`). The extra
corpus ``cjk-tagged`` scores ``mojibake_free`` over the mails ``INDEX.jsonl`` tags as
Chinese/CJK.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from plaint.channels.email.parse import ParsedMail, parse_mail
from plaint.errors import MalformedMessageError
from plaint.pipeline.mojibake import has_mojibake
from plaint.service.emailcorpus.expectations import expectations, mail_files
from plaint.service.emailcorpus.replycases import reply_cases
from plaint.service.emailcorpus.scoring import check_passes, reply_passes

__all__ = ["MAX_SECONDS", "Tally", "score_folder"]

# A mail that takes longer than this to parse counts as a crash (a hang in production).
MAX_SECONDS = 5.0
CJK_CORPUS = "cjk-tagged"


@dataclass
class Tally:
    """How many cases a field was checked on (``n``) and how many passed (``ok``)."""

    n: int = 0
    ok: int = 0

    def add(self, passed: bool) -> None:
        """Count one case."""
        self.n += 1
        self.ok += passed


Scores = dict[str, dict[str, Tally]]


@dataclass(frozen=True)
class _Outcome:
    parsed: ParsedMail | None
    crashed: bool


def _parse(path: Path) -> _Outcome:
    started = time.monotonic()
    try:
        parsed: ParsedMail | None = parse_mail(path.read_bytes())
    except MalformedMessageError:
        parsed = None
    except Exception:
        return _Outcome(None, crashed=True)
    return _Outcome(parsed, crashed=time.monotonic() - started > MAX_SECONDS)


def _tally(scores: Scores, corpus: str, field: str, passed: bool) -> None:
    scores.setdefault(corpus, {}).setdefault(field, Tally()).add(passed)


def _clean(outcome: _Outcome) -> bool:
    parsed = outcome.parsed
    if parsed is None:
        return not outcome.crashed
    return not (has_mojibake(parsed.subject) or has_mojibake(parsed.body))


def _score_corpus(scores: Scores, corpus: str, folder: Path) -> dict[Path, _Outcome]:
    outcomes = {path: _parse(path) for path in mail_files(folder)}
    for outcome in outcomes.values():
        _tally(scores, corpus, "no_crash", not outcome.crashed)
        _tally(scores, corpus, "mojibake_free", _clean(outcome))
    for expected in expectations(corpus, folder):
        outcome = outcomes.get(expected.path) or _parse(expected.path)
        for field, check in expected.checks.items():
            _tally(scores, corpus, field, check_passes(field, check, outcome.parsed))
    return outcomes


def _score_replies(scores: Scores, folder: Path) -> None:
    for corpus, cases in reply_cases(folder).items():
        for case in cases:
            passed = reply_passes(case)
            _tally(scores, corpus, "reply_text", passed)
            if case.exact:
                _tally(scores, corpus, "reply_text_exact", passed)


def _cjk_paths(root: Path) -> Iterable[Path]:
    index = root / "INDEX.jsonl"
    if not index.is_file():
        return []
    rows = [json.loads(line) for line in index.read_text("utf-8").splitlines() if line.strip()]
    return [root / r["path"] for r in rows if r.get("cjk_charset") or r.get("chinese_charset")]


def score_folder(root: Path) -> Scores:
    """Score every corpus found under ``root``; corpora without a folder are left out."""
    scores: Scores = {}
    outcomes: dict[Path, _Outcome] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if folder.name == "reply-stripping":
            _score_replies(scores, folder)
            folder = folder / "talon"  # its raw mails are mails too
            if not folder.is_dir():
                continue
            outcomes.update(_score_corpus(scores, "reply-stripping/talon", folder))
            continue
        outcomes.update(_score_corpus(scores, folder.name, folder))
    for path in _cjk_paths(root):
        if path.is_file():
            _tally(scores, CJK_CORPUS, "mojibake_free", _clean(outcomes.get(path) or _parse(path)))
    return scores
