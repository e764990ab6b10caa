"""scikit-learn's TF-IDF of character n-grams, computed without its per-n-gram Python loop.

``TfidfVectorizer(analyzer="char").transform`` builds every n-gram of a text as a Python
string and counts them one by one in an interpreted loop (about 0.3 µs per character and
n-gram size): on a long Chinese letter that is most of a prediction's time. Here a whole
batch is read at once with numpy: each n-gram becomes an integer (its characters' code
points side by side), looked up in the vocabulary's sorted codes, and the weighting is the
vectoriser's own public state (``vocabulary_``, ``idf_``, ``sublinear_tf``, ``norm``), so
the matrix is the one scikit-learn computes, about four times faster
(tests/classifier/test_chargrams.py compares them). Any other vectoriser is left to
scikit-learn: :func:`char_tfidf` returns ``None``.

:func:`read` is the part of a text a model reads: for Chinese, the subject and opening
(:data:`CJK_CHARACTERS_READ` characters), where a message names its topic.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse  # type: ignore[import-untyped]
from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]
from sklearn.preprocessing import normalize  # type: ignore[import-untyped]

__all__ = ["CJK_CHARACTERS_READ", "char_tfidf", "read"]

# What scikit-learn's character analyser does first: runs of two or more white-space
# characters become one space (a single newline stays).
_WHITE_SPACES = re.compile(r"\s\s+")
_BITS = 21  # bits of a Unicode code point; three of them fit in a 64-bit integer
_MAX_SIZE = 3
# A Chinese message names its topic in its subject and opening; the vectoriser's cost grows
# with every character read, so a CJK model reads this many.
CJK_CHARACTERS_READ = 256


def read(texts: Sequence[str], profile: str) -> list[str]:
    """The part of each text a model of ``profile`` reads, in training and prediction
    alike: the first :data:`CJK_CHARACTERS_READ` characters for ``cjk``, all otherwise."""
    if profile == "cjk":
        return [text[:CJK_CHARACTERS_READ] for text in texts]
    return list(texts)


def char_tfidf(vectoriser: Any, texts: Sequence[str]) -> Any | None:
    """``vectoriser.transform(texts)`` for a fitted character n-gram ``TfidfVectorizer``
    with default text handling (lower-cased, no accent stripping, no custom preprocessor,
    counts not binary, idf used); ``None`` for any other vectoriser or no texts."""
    if not texts or not _reproducible(vectoriser):
        return None
    documents = [_WHITE_SPACES.sub(" ", text.lower()) for text in texts]
    joined = "".join(documents).encode("utf-32-le", errors="surrogatepass")
    points = np.frombuffer(joined, dtype=np.uint32).astype(np.int64)
    row_of = np.repeat(np.arange(len(texts)), [len(d) for d in documents])
    rows, columns = [], []
    for size, (keys, key_columns) in _grams_table(vectoriser).items():
        places = len(points) - size + 1
        if places <= 0 or not len(keys):
            continue
        code = points[:places].copy()
        for offset in range(1, size):
            code = (code << _BITS) | points[offset : offset + places]
        at = np.minimum(np.searchsorted(keys, code), len(keys) - 1)
        # Known n-grams that lie within one text (not across two texts' boundary).
        hit = (keys[at] == code) & (row_of[:places] == row_of[size - 1 :])
        rows.append(row_of[:places][hit])
        columns.append(key_columns[at[hit]])
    row, column = np.concatenate(rows or [[]]), np.concatenate(columns or [[]])
    # A COO matrix sums the ones of repeated (row, column) pairs into counts.
    matrix = sparse.coo_matrix(
        (np.ones(len(row)), (row.astype(np.int64), column.astype(np.int64))),
        shape=(len(texts), len(vectoriser.vocabulary_)),
    ).tocsr()
    matrix.sort_indices()
    if vectoriser.sublinear_tf:
        np.log(matrix.data, matrix.data)
        matrix.data += 1.0
    matrix.data *= vectoriser.idf_[matrix.indices]
    if vectoriser.norm is not None:
        matrix = normalize(matrix, norm=vectoriser.norm, copy=False)
    return matrix


@functools.lru_cache(maxsize=8)
def _grams_table(vectoriser: Any) -> dict[int, tuple[Any, Any]]:
    """For each n-gram size, the vocabulary's n-grams as integer codes (each character's
    code point in :data:`_BITS` bits), sorted, and their columns. Cached by vectoriser:
    a model's fitted vectoriser is never fitted again."""
    by_size: dict[int, list[tuple[int, int]]] = {}
    for gram, column in vectoriser.vocabulary_.items():
        code = 0
        for char in gram:
            code = (code << _BITS) | ord(char)
        by_size.setdefault(len(gram), []).append((code, column))
    low, high = vectoriser.ngram_range
    table = {}
    for size in range(low, high + 1):
        pairs = sorted(by_size.get(size, []))
        table[size] = (
            np.array([code for code, _ in pairs], dtype=np.int64),
            np.array([column for _, column in pairs], dtype=np.int64),
        )
    return table


def _reproducible(vectoriser: Any) -> bool:
    """Whether ``vectoriser`` is a fitted TfidfVectorizer whose analysis this module
    reproduces exactly."""
    return (
        type(vectoriser) is TfidfVectorizer
        and vectoriser.analyzer == "char"
        and 1 <= vectoriser.ngram_range[0] <= vectoriser.ngram_range[1] <= _MAX_SIZE
        and vectoriser.input == "content"
        and vectoriser.lowercase
        and vectoriser.preprocessor is None
        and vectoriser.strip_accents is None
        and not vectoriser.binary
        and vectoriser.use_idf
        and vectoriser.dtype in (np.float64, float)
        and hasattr(vectoriser, "vocabulary_")
    )
