"""The fast character n-gram TF-IDF gives scikit-learn's own matrix."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]

from plaint.classifier.chargrams import char_tfidf

_TRAIN = ["电梯坏了，困人！", "物业费太贵  了\n\n请解释", "Lift BROKEN again", "停车位被占", "a"]
_TEXTS = st.lists(
    st.text(alphabet="电梯物业费停车 \n\t\u3000AaBbİß！\U0001f600", max_size=30),
    min_size=1,
    max_size=6,
)


@pytest.mark.parametrize(
    "options",
    [
        {"ngram_range": (1, 2)},
        {"ngram_range": (1, 2), "sublinear_tf": True},
        {"ngram_range": (1, 3), "norm": None},
        {"ngram_range": (2, 3), "sublinear_tf": True},
    ],
    ids=str,
)
@settings(max_examples=60, deadline=None)
@given(texts=_TEXTS)
def test_the_matrix_is_scikit_learns(options: dict[str, object], texts: list[str]) -> None:
    vectoriser = TfidfVectorizer(analyzer="char", **options).fit(_TRAIN)  # type: ignore[arg-type]
    fast = char_tfidf(vectoriser, texts)
    assert fast is not None
    expected = vectoriser.transform(texts)
    assert fast.shape == expected.shape
    assert np.allclose(fast.toarray(), expected.toarray())


def test_other_vectorisers_are_left_to_scikit_learn() -> None:
    assert char_tfidf(TfidfVectorizer().fit(_TRAIN), ["x"]) is None
    assert char_tfidf(TfidfVectorizer(analyzer="char_wb").fit(_TRAIN), ["x"]) is None
    assert char_tfidf(TfidfVectorizer(analyzer="char", binary=True).fit(_TRAIN), ["x"]) is None
