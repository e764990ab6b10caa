"""The trainable text classifier: training, prediction, versions on disk, scoring."""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime
from pathlib import Path

import pytest

from plaint.classifier.evaluate import LabelScore, evaluate
from plaint.classifier.textmodel import TextModel, fit, load_model
from plaint.errors import ConfigError
from tests.shared_data import eval_path

CHINESE = [
    ("电梯坏了停在三楼", "lift"),
    ("电梯困人了快来", "lift"),
    ("电梯门关不上", "lift"),
    ("电梯按钮失灵", "lift"),
    ("垃圾桶满了没人清", "garbage"),
    ("楼下垃圾堆成山", "garbage"),
    ("垃圾好几天没清运", "garbage"),
    ("门口垃圾发臭", "garbage"),
    ("物业费为什么涨价", "fee"),
    ("物业费收得太贵", "fee"),
    ("物业费明细不公开", "fee"),
    ("要求退还多收的物业费", "fee"),
]
ENGLISH = [
    ("the lift is broken again", "lift"),
    ("lift stuck on floor 3", "lift"),
    ("lift doors will not close", "lift"),
    ("lift buttons do not work", "lift"),
    ("garbage bins are overflowing", "garbage"),
    ("garbage not collected for days", "garbage"),
    ("garbage piled by the gate", "garbage"),
    ("smelly garbage in the hallway", "garbage"),
    ("the service fee went up", "fee"),
    ("fee statement is wrong", "fee"),
    ("why is the fee so high", "fee"),
    ("refund the extra fee", "fee"),
]


def train(rows: list[tuple[str, str]], **options: object) -> TextModel:
    return fit([t for t, _ in rows], [y for _, y in rows], **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rows", "queries", "profile"),
    [
        (CHINESE, {"电梯又坏了": "lift", "垃圾没人管": "garbage", "物业费太高": "fee"}, "cjk"),
        (
            ENGLISH,
            {"lift broken": "lift", "garbage everywhere": "garbage", "fee too high": "fee"},
            "latin",
        ),
    ],
    ids=["chinese", "english"],
)
def test_training_then_predicting_recovers_obvious_labels(
    rows: list[tuple[str, str]], queries: dict[str, str], profile: str
) -> None:
    model = train(rows, label_field="sub_topic")
    predictions = model.predict(list(queries))
    assert [p.label for p in predictions] == list(queries.values())
    assert all(1 / 3 < p.confidence <= 1 for p in predictions)
    assert model.info.profile == profile
    assert model.info.labels == ("fee", "garbage", "lift")
    assert (model.info.label_field, model.info.n_rows) == ("sub_topic", 12)


def test_same_data_and_seed_give_the_same_model() -> None:
    queries = ["电梯", "垃圾", "随便说点什么"]
    assert train(CHINESE).predict(queries) == train(CHINESE).predict(queries)


def test_predicting_nothing_returns_nothing() -> None:
    assert train(ENGLISH).predict([]) == []


def test_a_label_with_one_row_trains_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = train([*ENGLISH, ("a stray dog barks all night", "pets")])
    assert "pets" in model.info.labels


@pytest.mark.parametrize(
    ("texts", "labels", "error", "message"),
    [
        (["a", "b"], ["x"], ValueError, "2 texts but 1 labels"),
        (["a", "b", "c"], ["x", "x", "x"], ConfigError, "two distinct labels"),
        (["a", "b"], ["x", "y"], ConfigError, "too few rows"),
        (["", " ", "", " ", "", " "], ["x", "y"] * 3, ConfigError, "usable character"),
    ],
    ids=["lengths differ", "one label", "too few rows", "no characters"],
)
def test_fit_rejects_unusable_data(
    texts: list[str], labels: list[str], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        fit(texts, labels)


def test_save_and_load_keep_predictions_and_metadata(tmp_path: Path) -> None:
    model = train(CHINESE, label_field="sub_topic")
    now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    version = model.save(tmp_path / "models", now=now)
    loaded = load_model(tmp_path / "models")
    queries = ["电梯又坏了", "垃圾没人管", "物业费太高", "无关的话"]
    assert version == "v1"
    assert loaded.predict(queries) == model.predict(queries)
    assert loaded.info == model.info
    assert loaded.info.version == "v1"
    assert loaded.info.created == "2026-11-23T08:00:00+00:00"
    meta = json.loads((tmp_path / "models" / "v1" / "metadata.json").read_text("utf-8"))
    assert meta["label_field"] == "sub_topic"
    assert meta["n_rows"] == 12
    assert set(meta["libraries"]) >= {"scikit-learn", "numpy", "scipy", "python"}


def test_the_current_pointer_follows_the_newest_save(tmp_path: Path) -> None:
    first = train(ENGLISH)
    second = train([(text, label.upper()) for text, label in ENGLISH])
    assert first.save(tmp_path) == "v1"
    assert load_model(tmp_path).predict(["lift broken"])[0].label == "lift"
    assert second.save(tmp_path) == "v2"
    assert (tmp_path / "current").read_text("utf-8").strip() == "v2"
    assert load_model(tmp_path).predict(["lift broken"])[0].label == "LIFT"
    assert load_model(tmp_path, version="v1").predict(["lift broken"])[0].label == "lift"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["current", "v1", "v2"]


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    train(ENGLISH).save(tmp_path)
    return tmp_path


def _edit_metadata(directory: Path, **changes: object) -> None:
    path = directory / "v1" / "metadata.json"
    meta = json.loads(path.read_text("utf-8"))
    meta.update(changes)
    path.write_text(json.dumps(meta), "utf-8")


def test_loading_where_nothing_was_saved_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="train a model first"):
        load_model(tmp_path)


def test_a_corrupt_model_file_is_refused(saved: Path) -> None:
    (saved / "v1" / "model.joblib").write_bytes(b"not a pickle")
    with pytest.raises(ConfigError, match="corrupt"):
        load_model(saved)


def test_an_unloadable_model_file_is_refused_even_with_a_matching_checksum(saved: Path) -> None:
    import hashlib

    (saved / "v1" / "model.joblib").write_bytes(b"not a pickle")
    _edit_metadata(saved, model_sha256=hashlib.sha256(b"not a pickle").hexdigest())
    with pytest.raises(ConfigError, match="cannot be loaded"):
        load_model(saved)


def test_a_model_from_another_scikit_learn_release_is_refused(saved: Path) -> None:
    _edit_metadata(saved, libraries={"scikit-learn": "0.24.2"})
    with pytest.raises(ConfigError, match=r"scikit-learn 0\.24\.2.*retrain"):
        load_model(saved)


@pytest.mark.parametrize(
    ("pointer", "message"), [("../elsewhere", "not a model version"), ("v9", "no model metadata")]
)
def test_a_bad_pointer_is_refused(saved: Path, pointer: str, message: str) -> None:
    (saved / "current").write_text(pointer, "utf-8")
    with pytest.raises(ConfigError, match=message):
        load_model(saved)


def test_metadata_of_another_format_is_refused(saved: Path) -> None:
    _edit_metadata(saved, format=99)
    with pytest.raises(ConfigError, match="format 99"):
        load_model(saved)


def test_evaluate_scores_a_constructed_case() -> None:
    result = evaluate(["a", "a", "b", "b"], ["a", "b", "b", "c"])
    assert (result.n, result.accuracy) == (4, 0.5)
    assert result.per_label["a"] == LabelScore(precision=1.0, recall=0.5, f1=2 / 3, support=2)
    assert result.per_label["b"] == LabelScore(precision=0.5, recall=0.5, f1=0.5, support=2)
    assert result.per_label["c"] == LabelScore(precision=0.0, recall=0.0, f1=0.0, support=0)
    assert result.macro_f1 == pytest.approx((2 / 3 + 0.5 + 0.0) / 3)


def test_evaluate_of_nothing_is_zero() -> None:
    result = evaluate([], [])
    assert (result.n, result.accuracy, result.macro_f1, dict(result.per_label)) == (0, 0, 0, {})


def test_on_chinese_messages_the_model_beats_tfidf_character_bigrams() -> None:
    """On the visible TipDM rows, a fixed split: plaint's macro-F1 >= the plain baseline."""
    import random

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    path = eval_path("complaints", "tipdm2020c_cn_gov_messages", "labeled.jsonl")
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    pairs = [(r["text"], r["category"][0]) for r in rows if r["text"] and r["category"]]
    random.Random(0).shuffle(pairs)
    cut = len(pairs) * 4 // 5
    train_rows, test_rows = pairs[:cut], pairs[cut:]
    gold = [y for _, y in test_rows]
    texts = [t for t, _ in test_rows]
    baseline = make_pipeline(
        TfidfVectorizer(analyzer="char", ngram_range=(1, 2)), LogisticRegression()
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        baseline.fit([t for t, _ in train_rows], [y for _, y in train_rows])
    ours = train(train_rows)
    base_f1 = evaluate(gold, [str(y) for y in baseline.predict(texts)]).macro_f1
    ours_f1 = evaluate(gold, [p.label for p in ours.predict(texts)]).macro_f1
    assert ours_f1 >= base_f1
