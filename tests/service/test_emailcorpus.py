"""The harness figures of issue 9 asserted as floors, on ../shared/eval/email-corpus, and the
harness on a folder holding only part of the layout."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from plaint.cli import main
from plaint.service.emailcorpus import Tally, score_folder
from tests.shared_data import eval_path

# Cases below a floor, each explained (see the report of issue 9):
# watchdog-autoreply/address_extraction_test.eml carries "Auto-Submitted: auto-replied"
# (RFC 3834: machine-written) although the corpus lists it without a loop label;
# sisimai-bounces/maildir/bsd/lhost-fml-03.eml is a mailing-list manager's "Loop Alert"
# with no bounce header, report part or robot sender.
EXPLAINED_SUPPRESSED = {"watchdog-autoreply": 1}


@pytest.fixture(scope="module")
def scores() -> dict[str, dict[str, Tally]]:
    return score_folder(eval_path("email-corpus"))


def _share(scores: dict[str, dict[str, Tally]], corpora: list[str], field: str) -> float:
    tallies = [scores[c][field] for c in corpora if field in scores.get(c, {})]
    return sum(t.ok for t in tallies) / sum(t.n for t in tallies)


@pytest.mark.parametrize("field", ["from", "subject"])
def test_sender_and_subject_on_zammad_and_imap_tools(scores, field: str) -> None:  # type: ignore[no-untyped-def]
    assert _share(scores, ["zammad", "imap_tools"], field) >= 0.97


def test_no_mojibake_in_any_cjk_tagged_mail(scores) -> None:  # type: ignore[no-untyped-def]
    tally = scores["cjk-tagged"]["mojibake_free"]
    assert tally.n > 0
    assert tally.ok == tally.n


def test_no_crash_on_any_mail(scores) -> None:  # type: ignore[no-untyped-def]
    for corpus, fields in scores.items():
        if "no_crash" in fields:
            assert fields["no_crash"].ok == fields["no_crash"].n, corpus


def test_loop_corpora_open_no_automatic_mail_and_suppress_no_ordinary_mail(scores) -> None:  # type: ignore[no-untyped-def]
    for corpus in ("sisimai-bounces", "flanker", "watchdog-autoreply"):
        automatic, ordinary = scores[corpus]["automatic"], scores[corpus]["ordinary"]
        assert automatic.n - automatic.ok <= {"sisimai-bounces": 1}.get(corpus, 0), corpus
        assert ordinary.n - ordinary.ok <= EXPLAINED_SUPPRESSED.get(corpus, 0), corpus


def test_reply_text_on_the_fixtures_with_exact_expectations(scores) -> None:  # type: ignore[no-untyped-def]
    corpora = [c for c in scores if "reply_text_exact" in scores[c]]
    assert _share(scores, corpora, "reply_text_exact") >= 0.90


def test_a_partial_layout_scores_what_it_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = eval_path("email-corpus", "watchdog-autoreply")
    shutil.copytree(source, tmp_path / "watchdog-autoreply")
    (tmp_path / "watchdog-autoreply" / "html_only.eml").unlink()
    assert main(["eval", "email-corpus", str(tmp_path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert list(result) == ["watchdog-autoreply"]
    assert result["watchdog-autoreply"]["no_crash"] == {"n": 5, "ok": 5}
    assert result["watchdog-autoreply"]["automatic"] == {"n": 2, "ok": 2}
