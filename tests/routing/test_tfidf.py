"""The router's own TF-IDF gives scikit-learn's numbers (sublinear tf, smooth idf, l2 rows), only faster."""

from collections import Counter

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from sikesal.routing.tfidf import char_analyzer, fit_chars, fit_words

DOCS = [
    "jalan rusak depan sekolah jalan berlubang",
    "lampu jalan mati sudah seminggu",
    "sampah menumpuk di pasar bau sampah",
    "air pdam keruh dan bau",
    "jalan gelap lampu mati",
    "selokan mampet banjir",
]


def _aligned(ours, vocabulary, theirs):
    """Our matrix with its columns in scikit-learn's order (the vocabularies must hold the same terms)."""
    assert set(vocabulary.vocabulary_) == set(theirs.vocabulary_)
    order = [vocabulary.vocabulary_[t] for t in sorted(theirs.vocabulary_, key=theirs.vocabulary_.get)]
    return ours.toarray()[:, order]


@pytest.mark.parametrize("min_df", [1, 2])
def test_words_match_scikit_learn(min_df):
    X, vocabulary = fit_words([d.split() for d in DOCS], min_df=min_df)
    reference = TfidfVectorizer(token_pattern=r"\S+", sublinear_tf=True, min_df=min_df)  # noqa: S106
    expected = reference.fit_transform(DOCS).toarray()
    assert np.allclose(_aligned(X, vocabulary, reference), expected, atol=1e-6)
    # and transforming new text gives what scikit-learn's transform gives
    new = ["jalan jalan rusak parah", "kata asing semua"]
    assert np.allclose(
        _aligned(vocabulary.rows([d.split() for d in new]), vocabulary, reference),
        reference.transform(new).toarray(),
        atol=1e-6,
    )


def test_char_ngrams_match_scikit_learn_char_wb():
    X, vocabulary = fit_chars(DOCS, min_df=2)
    reference = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)
    expected = reference.fit_transform(DOCS).toarray()
    assert np.allclose(_aligned(X, vocabulary, reference), expected, atol=1e-6)
    assert np.allclose(
        _aligned(vocabulary.rows([char_analyzer("lampu pasar mati")]), vocabulary, reference),
        reference.transform(["lampu pasar mati"]).toarray(),
        atol=1e-6,
    )


def test_max_features_keeps_the_most_frequent_terms():
    _, vocabulary = fit_words([d.split() for d in DOCS], max_features=3)
    kept = set(vocabulary.vocabulary_)
    frequency = Counter(word for d in DOCS for word in d.split())
    assert len(kept) == 3 and "jalan" in kept  # 4 times; then three of the words seen twice
    assert min(frequency[w] for w in kept) >= max(frequency[w] for w in frequency if w not in kept)


def test_nothing_left_is_an_error_not_an_empty_model():
    with pytest.raises(ValueError):
        fit_words([["satu"], ["dua"]], min_df=2)
