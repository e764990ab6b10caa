"""A trainable text classifier: TF-IDF n-grams and a linear model chosen by cross-validation.

Chinese, Japanese and Korean need no word segmentation: when most of the training text is
in those scripts the model reads character 1–2-grams (profile ``cjk``) of a text's first
characters only (see :mod:`plaint.classifier.chargrams`); otherwise it reads word
1–2-grams together with character 1–4-grams inside word boundaries (profile ``latin``).
The family (a linear SVM or logistic regression), its regularisation and the features
(the profile's, or a plain TF-IDF baseline's) are chosen by macro-F1 over seeded
cross-validation folds of the training rows (:mod:`plaint.classifier.selection`), so a set
on which plain logistic regression wins gets logistic regression. An SVM's scores become
probabilities by sigmoid calibration on the same folds; logistic regression gives them
directly; either way ``Prediction.confidence`` is a probability in 0..1.

On disk a model directory holds versions side by side and a pointer to the one in use::

    DIR/current              the name of the version in use, e.g. "v3" (replaced atomically)
    DIR/v3/model.joblib      the fitted scikit-learn pipeline (pickle: load trusted dirs only)
    DIR/v3/metadata.json     label field, labels, rows, created, library versions, checksum

A model is loaded only by the scikit-learn minor release that saved it (1.9.0 and 1.9.1
share models; 1.8 and 1.9 do not): anything else raises ConfigError, and so does a
missing, corrupt or tampered file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import random
import re
import secrets
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import joblib  # type: ignore[import-untyped]
from sklearn.calibration import CalibratedClassifierCV  # type: ignore[import-untyped]
from sklearn.exceptions import InconsistentVersionWarning  # type: ignore[import-untyped]
from sklearn.pipeline import Pipeline  # type: ignore[import-untyped]
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from plaint.classifier.chargrams import char_tfidf, read
from plaint.classifier.selection import Candidate, features, select, untrained
from plaint.errors import ConfigError

__all__ = [
    "FORMAT",
    "ModelInfo",
    "Prediction",
    "TextModel",
    "fit",
    "load_model",
]

FORMAT = 1
"""The on-disk format written by :meth:`TextModel.save`; ``load_model`` reads only this."""

_CURRENT = "current"
_MODEL_FILE = "model.joblib"
_METADATA_FILE = "metadata.json"
_VERSION_NAME = re.compile(r"v([0-9]+)")
_CJK_SHARE_FOR_CHARACTERS = 0.3  # share of non-space characters in CJK scripts
_CALIBRATION_FOLDS = 3
_LIBRARIES = ("scikit-learn", "numpy", "scipy", "joblib")
_CJK_RANGES = (
    (0x3040, 0x30FF),  # kana
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xAC00, 0xD7AF),  # hangul syllables
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
)


@dataclass(frozen=True)
class Prediction:
    """One text's label and the model's probability for it, in 0..1."""

    label: str
    confidence: float


@dataclass(frozen=True)
class ModelInfo:
    """What a model was trained on; ``version`` and ``created`` are ``None`` until saved."""

    label_field: str
    labels: tuple[str, ...]
    n_rows: int
    profile: str
    seed: int
    version: str | None = None
    created: str | None = None
    family: str = "svm"  # the chosen candidate (selection.CANDIDATES); older models: svm
    cv_macro_f1: Mapping[str, float] | None = None  # each candidate's score at training


class TextModel:
    """A fitted classifier. Build one with :func:`fit` or :func:`load_model`."""

    def __init__(self, pipeline: Any, info: ModelInfo) -> None:
        self._pipeline = pipeline
        self.info = info

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """Return one prediction per text, in order; never raises for any strings."""
        if not texts:
            return []
        texts = read(texts, self.info.profile)
        (_, features), (_, classifier) = self._pipeline.steps
        matrix = char_tfidf(features, texts)
        if matrix is None:
            probabilities = self._pipeline.predict_proba(texts)
        else:  # the same matrix as the pipeline's vectoriser, made faster
            probabilities = classifier.predict_proba(matrix)
        classes = self._pipeline.classes_
        best = probabilities.argmax(axis=1)
        return [
            Prediction(label=str(classes[i]), confidence=float(row[i]))
            for row, i in zip(probabilities, best, strict=True)
        ]

    def save(self, directory: Path, *, now: datetime | None = None) -> str:
        """Write a new version under ``directory``, make it current and return its name.

        Versions are ``v1``, ``v2``, …; the directory is created if needed. ``current`` is
        switched only after the version's files are complete, by an atomic rename, so a
        reader sees the old version or the new one, never half of one. ``now`` (default:
        the clock) is recorded as ``created``. Raises OSError if the files cannot be written.
        """
        directory.mkdir(parents=True, exist_ok=True)
        version, folder = _claim_version(directory)
        created = (now or datetime.now(UTC)).isoformat()
        model_path = folder / _MODEL_FILE
        joblib.dump(self._pipeline, model_path)
        meta = {
            "format": FORMAT,
            "version": version,
            "created": created,
            "label_field": self.info.label_field,
            "labels": list(self.info.labels),
            "n_rows": self.info.n_rows,
            "profile": self.info.profile,
            "seed": self.info.seed,
            "family": self.info.family,
            "cv_macro_f1": dict(self.info.cv_macro_f1 or {}),
            "model_file": _MODEL_FILE,
            "model_sha256": _sha256(model_path),
            "libraries": _library_versions(),
        }
        _write_atomically(folder / _METADATA_FILE, json.dumps(meta, ensure_ascii=False, indent=2))
        _write_atomically(directory / _CURRENT, version + "\n")
        self.info = replace(self.info, version=version, created=created)
        return version


def fit(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    label_field: str = "label",
    seed: int = 0,
    on_step: Callable[[str], None] | None = None,
) -> TextModel:
    """Train on ``texts`` and their ``labels``; the same inputs and seed give the same model.

    ``label_field`` names what the labels are (e.g. ``department``) and is recorded.
    ``on_step`` is called with the name of each step as it begins (for a progress display).
    Raises ValueError if the sequences differ in length, ConfigError if there are fewer
    than two distinct labels, too few rows to cross-validate the calibration (three folds,
    each leaving at least two labels to train on), or no text has a usable character.
    """
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    y = [str(label) for label in labels]
    if len(set(y)) < 2:
        raise ConfigError(f"need at least two distinct labels to train, got {sorted(set(y))}")
    step = on_step or (lambda _name: None)
    folds = _calibration_folds(y, seed=seed)
    profile = _profile(texts)
    texts = read(texts, profile)
    if not any(ch.isalnum() for text in texts for ch in text):
        raise ConfigError("no training text has a usable character")
    step(f"choosing a model for {len(set(y))} labels on {_CALIBRATION_FOLDS} folds")
    # One native thread: the matrices are sparse, and BLAS threads on a shared machine
    # oversubscribe its cores (measured several times slower under load).
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        _quiet_single_row_labels()
        selection = select(list(texts), y, folds=folds, profile=profile, seed=seed)
        step(f"fitting {selection.chosen.name} on {len(y)} texts")
        pipeline = _fit_pipeline(list(texts), y, selection.chosen, profile, folds, seed=seed)
    info = ModelInfo(
        label_field=label_field,
        labels=tuple(str(c) for c in pipeline.classes_),
        n_rows=len(y),
        profile=profile,
        seed=seed,
        family=selection.chosen.name,
        cv_macro_f1=selection.scores,
    )
    return TextModel(pipeline, info)


def _quiet_single_row_labels() -> None:
    """A label with a single row is missing from the training part of one fold; its
    calibration then rests on the other folds, which is what we want."""
    warnings.filterwarnings(
        "ignore", message="Number of classes in training fold", category=RuntimeWarning
    )


def _fit_pipeline(
    texts: list[str],
    y: list[str],
    chosen: Candidate,
    profile: str,
    folds: list[tuple[list[int], list[int]]],
    *,
    seed: int,
) -> Any:
    """Fit the chosen candidate on every row; raise ConfigError on an empty vocabulary."""
    vectoriser = features(chosen.features, profile)
    try:
        matrix = vectoriser.fit_transform(texts)
    except ValueError as exc:
        if "empty vocabulary" not in str(exc):
            raise
        raise ConfigError("no training text has a usable character") from exc
    classifier = untrained(chosen, seed=seed)
    if chosen.family == "svm":
        classifier = CalibratedClassifierCV(classifier, method="sigmoid", cv=folds, ensemble=False)
    classifier.fit(matrix, y)
    return Pipeline([("features", vectoriser), ("classifier", classifier)])


def load_model(directory: Path, *, version: str | None = None) -> TextModel:
    """Load the current version under ``directory`` (or the named ``version``).

    Raises ConfigError naming the path when there is no model, the metadata or model file
    is unreadable, corrupt or of another format, or another scikit-learn minor release
    saved it. Unpickling runs code: load only directories you trust.
    """
    if version is None:
        version = _read_text(directory / _CURRENT, "model pointer").strip()
    if not _VERSION_NAME.fullmatch(version):
        raise ConfigError(f"{directory}: {version!r} is not a model version such as 'v1'")
    folder = directory / version
    meta = _read_metadata(folder / _METADATA_FILE)
    _check_compatible(meta, folder)
    model_path = folder / _MODEL_FILE
    if not model_path.is_file():
        raise ConfigError(f"{model_path} is missing")
    if _sha256(model_path) != meta.get("model_sha256"):
        raise ConfigError(f"{model_path} is corrupt: its checksum differs from the metadata")
    pipeline = _unpickle(model_path)
    info = ModelInfo(
        label_field=str(meta["label_field"]),
        labels=tuple(str(x) for x in meta["labels"]),
        n_rows=int(meta["n_rows"]),
        profile=str(meta["profile"]),
        seed=int(meta["seed"]),
        version=version,
        created=str(meta["created"]),
        family=str(meta.get("family", "svm")),
        cv_macro_f1=meta.get("cv_macro_f1") or None,
    )
    if tuple(str(c) for c in getattr(pipeline, "classes_", ())) != info.labels:
        raise ConfigError(f"{model_path} does not match its metadata's labels")
    return TextModel(pipeline, info)


def _profile(texts: Sequence[str]) -> str:
    """Return ``cjk`` when enough of the text is in CJK scripts, else ``latin``."""
    total = cjk = 0
    for text in texts:
        for ch in text:
            if ch.isspace():
                continue
            total += 1
            code = ord(ch)
            cjk += any(lo <= code <= hi for lo, hi in _CJK_RANGES)
    return "cjk" if total and cjk / total >= _CJK_SHARE_FOR_CHARACTERS else "latin"


def _calibration_folds(labels: Sequence[str], *, seed: int) -> list[tuple[list[int], list[int]]]:
    """Deal each label's rows, shuffled by ``seed``, round-robin into the folds.

    Returns (train, test) index lists; raises ConfigError when a fold would test nothing
    or leave fewer than two labels to train on.
    """
    rng = random.Random(seed)  # noqa: S311 - a reproducible shuffle, not a secret
    fold_of = [0] * len(labels)
    dealt = 0
    for label in sorted(set(labels)):
        rows = [i for i, y in enumerate(labels) if y == label]
        rng.shuffle(rows)
        for i in rows:
            fold_of[i] = dealt % _CALIBRATION_FOLDS
            dealt += 1
    folds = []
    for k in range(_CALIBRATION_FOLDS):
        train = [i for i, f in enumerate(fold_of) if f != k]
        test = [i for i, f in enumerate(fold_of) if f == k]
        if not test or len({labels[i] for i in train}) < 2:
            raise ConfigError(
                f"too few rows to train ({len(labels)}): give each label several examples"
            )
        folds.append((train, test))
    return folds


def _claim_version(directory: Path) -> tuple[str, Path]:
    """Create and return the next free ``vN`` folder; safe against concurrent savers."""
    taken = [int(m.group(1)) for p in directory.iterdir() if (m := _VERSION_NAME.fullmatch(p.name))]
    number = max(taken, default=0) + 1
    while True:
        folder = directory / f"v{number}"
        try:
            folder.mkdir()
        except FileExistsError:
            number += 1
            continue
        return folder.name, folder


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file renamed over it (umask applies)."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in _LIBRARIES:
        versions[name] = importlib_metadata.version(name)
    return versions


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"no {what} at {path}: train a model first (plaint train)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc}") from exc


def _read_metadata(path: Path) -> dict[str, Any]:
    try:
        meta = json.loads(_read_text(path, "model metadata"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not valid JSON: {exc}") from exc
    required = ("format", "label_field", "labels", "n_rows", "profile", "seed", "created")
    if not isinstance(meta, dict) or any(key not in meta for key in required):
        raise ConfigError(f"{path} lacks one of {', '.join(required)}")
    return meta


def _check_compatible(meta: Mapping[str, Any], folder: Path) -> None:
    if meta["format"] != FORMAT:
        raise ConfigError(
            f"{folder} is model format {meta['format']!r}; this plaint reads {FORMAT}"
        )
    libraries = meta.get("libraries")
    saved = libraries.get("scikit-learn") if isinstance(libraries, dict) else None
    installed = importlib_metadata.version("scikit-learn")
    if not isinstance(saved, str) or _minor(saved) != _minor(installed):
        raise ConfigError(
            f"{folder} was saved by scikit-learn {saved}, this is {installed}: retrain the model"
        )


def _minor(version: str) -> tuple[str, ...]:
    return tuple(version.split(".")[:2])


def _unpickle(path: Path) -> Any:
    with warnings.catch_warnings():
        # The minor release was checked; a patch release difference is accepted.
        warnings.filterwarnings("ignore", category=InconsistentVersionWarning)
        try:
            return joblib.load(path)
        except Exception as exc:  # unpickling can fail in almost any way
            raise ConfigError(f"{path} cannot be loaded: {exc}") from exc
