"""``plaint train``, ``plaint eval classifier`` and ``plaint classify`` through the real
``plaint`` entry point."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from plaint import cli
from plaint.config import load_config
from plaint.pipeline.classify import classify

# Made-up words, so that the rule engine recognises none of these texts.
TRAINING = [
    {"text": "the zorblat pile is overflowing today", "sub_topic": "garbage"},
    {"text": "zorblat heap near the gazebo", "sub_topic": "garbage"},
    {"text": "please remove the zorblat", "sub_topic": "garbage"},
    {"text": "zorblat all over the yard", "sub_topic": "garbage"},
    {"text": "the vextron is stuck between floors", "sub_topic": "lift"},
    {"text": "vextron not moving", "sub_topic": "lift"},
    {"text": "vextron buttons dead", "sub_topic": "lift"},
    {"text": "vextron makes a grinding sound", "sub_topic": "lift"},
    {"text": "quorbugs in the basement", "sub_topic": "pest"},
    {"text": "saw quorbugs at night", "sub_topic": "pest"},
    {"text": "quorbugs chewing cables", "sub_topic": "pest"},
    {"text": "quorbugs droppings in the hall", "sub_topic": "pest"},
]


@pytest.fixture(autouse=True)
def only_the_classify_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register only this module's commands and use the packaged default configuration."""
    monkeypatch.setattr(cli, "_COMMAND_MODULES", ("plaint.cli.classify",))
    monkeypatch.delenv("PLAINT_CONFIG", raising=False)


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


@pytest.fixture
def model_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    data = write_jsonl(tmp_path / "train.jsonl", TRAINING)
    code, _, _ = run(
        capsys, "train", "--data", data, "--label-field", "sub_topic", "--out", tmp_path / "m"
    )
    assert code == 0
    return tmp_path / "m"


def test_the_training_texts_are_unknown_to_the_rules() -> None:
    taxonomy = load_config(None).taxonomy
    assert [classify(r["text"], taxonomy=taxonomy).rules for r in TRAINING] == [()] * len(TRAINING)


def test_train_prints_the_version_and_counts_skipped_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows: list[Any] = [*TRAINING[:6], {"sub_topic": "lift"}, *TRAINING[6:], {"text": "no label"}]
    data = write_jsonl(tmp_path / "train.jsonl", rows)
    args = ("train", "--data", data, "--label-field", "sub_topic", "--out", tmp_path / "m")
    code, out, err = run(capsys, *args)
    assert (code, out) == (0, "v1\n")
    assert "skipped 2 of 14 rows" in err
    assert "lines 7, 14" in err
    assert run(capsys, *args)[:2] == (0, "v2\n")
    assert (tmp_path / "m" / "current").read_text("utf-8").strip() == "v2"


def test_train_reads_a_label_inside_a_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [{"text": r["text"], "category": [r["sub_topic"], "x"]} for r in TRAINING]
    data = write_jsonl(tmp_path / "train.jsonl", rows)
    out_dir = tmp_path / "m"
    assert run(capsys, "train", "--data", data, "--label-field", "category.0", "--out", out_dir)[
        :2
    ] == (
        0,
        "v1\n",
    )
    code, _, err = run(
        capsys, "train", "--data", data, "--label-field", "category", "--out", out_dir
    )
    assert code == 2
    assert f"{data}:1: 'category' is a list" in err
    assert "category.0" in err


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['{"text": "a", "sub_topic": "x"}', "{not json"], ":2: not valid JSON"),
        (['{"text": "a", "sub_topic": "x"}', "", "[1, 2]"], ":3: expected a JSON object"),
    ],
    ids=["invalid json", "not an object"],
)
def test_train_stops_at_a_bad_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], lines: list[str], message: str
) -> None:
    data = tmp_path / "train.jsonl"
    data.write_text("\n".join(lines) + "\n", "utf-8")
    code, out, err = run(
        capsys, "train", "--data", data, "--label-field", "sub_topic", "--out", tmp_path
    )
    assert (code, out) == (2, "")
    assert message in err


def test_train_on_a_missing_file_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, "train", "--data", tmp_path / "nope.jsonl", "--label-field", "x", "--out", tmp_path
    )
    assert code == 2
    assert "cannot read" in err


def test_eval_json_reports_the_scores(
    model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        {"text": "zorblat pile", "sub_topic": "garbage"},
        {"text": "vextron stuck", "sub_topic": "lift"},
        {"text": "quorbugs everywhere", "sub_topic": "pest"},
        {"text": "zorblat heap", "sub_topic": "lift"},  # wrong on purpose
        {"text": "no label here"},
    ]
    data = write_jsonl(tmp_path / "gold.jsonl", rows)
    code, out, err = run(
        capsys, "eval", "classifier", "--model", model_dir, "--data", data, "--json"
    )
    assert code == 0
    assert len(out.splitlines()) == 1
    result = json.loads(out)
    assert (result["n"], result["skipped"], result["accuracy"]) == (4, 1, 0.75)
    assert result["macro_f1"] == pytest.approx((2 / 3 + 2 / 3 + 1) / 3, abs=1e-4)
    assert result["per_label"]["pest"] == {"precision": 1, "recall": 1, "f1": 1, "support": 1}
    assert (result["label_field"], result["model_version"]) == ("sub_topic", "v1")
    assert "skipped 1 of 5 rows" in err


def test_eval_prints_a_readable_summary(
    model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_jsonl(tmp_path / "gold.jsonl", TRAINING)
    code, out, _ = run(capsys, "eval", "classifier", "--model", model_dir, "--data", data)
    assert code == 0
    assert "accuracy  1.0000" in out
    assert "macro-F1  1.0000" in out


def test_eval_without_a_model_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write_jsonl(tmp_path / "gold.jsonl", TRAINING)
    code, _, err = run(capsys, "eval", "classifier", "--model", tmp_path / "none", "--data", data)
    assert code == 2
    assert "train a model first" in err


def test_classify_explains_the_rules(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "classify", "3号楼电梯困人了，快来！")
    assert code == 0
    assert "department  engineering" in out
    assert "urgency     emergency" in out
    assert "rules       lift, property_anchor, emergency" in out


def test_classify_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "classify", "门口垃圾桶满了", "--json")
    result = json.loads(out)
    assert code == 0
    assert (result["department"], result["sub_topic"], result["source"]) == (
        "cleaning",
        "garbage",
        "rules",
    )
    assert set(result) >= {
        "category",
        "scope",
        "level",
        "urgency",
        "validity",
        "confidence",
        "rules",
    }


def test_batch_prints_one_line_per_row_in_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        {"text": "电梯坏了"},
        {"text": "垃圾没人清运", "id": 7},
        {"text": ""},
        {"text": "物业费太贵"},
    ]
    data = write_jsonl(tmp_path / "in.jsonl", rows)
    code, out, err = run(capsys, "classify", "--batch", data, "--json")
    results = [json.loads(line) for line in out.splitlines()]
    assert (code, err) == (0, "")
    assert [r["line"] for r in results] == [1, 2, 3, 4]
    assert [r["sub_topic"] for r in results] == ["lift", "garbage", "other", "property_fee"]
    assert results[2]["validity"] == "invalid"


def test_batch_marks_bad_rows_in_place_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "in.jsonl"
    data.write_text('{"text": "电梯坏了"}\n{oops\n{"id": 3}\n\n{"text": "垃圾"}\n', "utf-8")
    code, out, err = run(capsys, "classify", "--batch", data, "--json")
    results = [json.loads(line) for line in out.splitlines()]
    assert code == 2
    assert [r["line"] for r in results] == [1, 2, 3, 5]
    assert [("error" in r) for r in results] == [False, True, True, False]
    assert f"{data}:2: not valid JSON" in err
    assert f"{data}:3: the row has no string 'text' field" in err


def test_batch_reads_standard_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin = io.TextIOWrapper(io.BytesIO('{"text": "电梯坏了"}\n'.encode()), encoding="utf-8")
    monkeypatch.setattr("sys.stdin", stdin)
    code, out, _ = run(capsys, "classify", "--batch", "-", "--json")
    assert code == 0
    assert json.loads(out)["sub_topic"] == "lift"


def test_batch_of_a_missing_file_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "classify", "--batch", tmp_path / "nope.jsonl")
    assert (code, out) == (2, "")
    assert "nope.jsonl" in err


@pytest.mark.parametrize("args", [[], ["text", "--batch", "x.jsonl"]], ids=["neither", "both"])
def test_classify_needs_text_or_batch(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    code, _, err = run(capsys, "classify", *args)
    assert code == 2
    assert "either TEXT or --batch" in err


def test_a_surer_model_overrides_its_field(
    model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_jsonl(tmp_path / "in.jsonl", [{"text": "zorblat heap near the gazebo"}])
    code, out, _ = run(capsys, "classify", "--batch", data, "--json", "--model", model_dir)
    result = json.loads(out)
    assert code == 0
    assert result["model"]["label"] == "garbage"
    assert result["model"]["confidence"] > 0.2
    assert (result["sub_topic"], result["department"], result["category"]) == (
        "garbage",
        "cleaning",
        "service",
    )
    assert (result["source"], result["rules"]) == ("model", ["model:v1"])
    assert result["confidence"] == result["model"]["confidence"]


def test_surer_rules_keep_their_decision(
    model_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "电梯 升降梯 轿厢 lift elevator"  # five lift keywords: the rules are sure
    code, out, _ = run(capsys, "classify", text, "--json", "--model", model_dir)
    result = json.loads(out)
    assert code == 0
    assert result["confidence"] == 0.95
    assert result["model"]["confidence"] < 0.95
    assert (result["sub_topic"], result["source"], result["rules"]) == (
        "lift", "rules", ["lift", "property_anchor"]
    )  # fmt: skip


def test_a_model_of_another_field_only_adds_its_opinion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [{"text": r["text"], "team": r["sub_topic"].upper()} for r in TRAINING]
    data = write_jsonl(tmp_path / "train.jsonl", rows)
    run(capsys, "train", "--data", data, "--label-field", "team", "--out", tmp_path / "m")
    code, out, _ = run(capsys, "classify", "vextron not moving", "--model", tmp_path / "m")
    assert code == 0
    assert "model       v1: team = LIFT" in out
    assert "(from rules)" in out


def test_train_with_no_usable_row_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_jsonl(tmp_path / "train.jsonl", [{"text": None, "department": "x"}, {"text": "a"}])
    code, _, err = run(
        capsys, "train", "--data", data, "--label-field", "department", "--out", tmp_path
    )
    assert code == 2
    assert "no labelled rows of 'department' to train on" in err
