"""The routing classifier: which service/OPD a complaint most likely belongs to.

Model family (one configuration for every data set; chosen by cross-validation on the two shared public
complaint sets, see docs in evaluate.py):

* Features: TF-IDF (sublinear tf) of normalised word unigrams plus catalogue concept tokens (concepts.py: a
  catalogue phrase in the text adds its service and group), and TF-IDF of char_wb 2-5-grams of the
  normalised text. The char n-grams absorb typos, affixes ("perbaikan", "diperbaiki") and glued words.
* Classifier: NBSVM (Wang & Manning 2012). For each class a one-vs-rest linear SVM is trained on the features
  scaled by the class's naive-Bayes log-count ratio, so words that are typical of the class start with large
  weights and the SVM only has to correct them. On a few hundred reports this beat a plain SVM, logistic
  regression, complement NB and their ensembles by 4-7 points of accuracy.
  Because the scaling is per feature, each class collapses into one ordinary weight vector (ratio * svm
  weight): prediction is a single sparse dot product and explanations are exact per-feature contributions.
* Confidence: softmax of the class scores with a temperature and per-class offsets fitted on held-out scores
  (maximum likelihood), so the numbers behave like probabilities (they sum to 1 over all classes; the top-k
  shown sum to at most 1). The offsets also shift decisions away from broad classes that absorb every
  unclear report: +0.6 points of accuracy and +1.2 of macro-F1 on Purbalingga (whose "Pelayanan Publik"
  is such a class), -0.3 on Malang (within its seed-to-seed noise); means over seeds 0-2.

Models are pickled (joblib). Only ever load bytes this code wrote into our own database: unpickling
untrusted data executes code.
"""

from __future__ import annotations

import io
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from .concepts import ConceptLexicon
from .normalize import NORMALIZER_VERSION, normalize, tokens_with_source
from .tfidf import char_analyzer, fit_chars, fit_words, word_char_ngrams

FORMAT_VERSION = 2

SVM_C = 0.1
SVM_TOL = 1e-3
NB_ALPHA = 1.0
DEFAULT_TEMPERATURE = 4.0
# Pulls the per-class offsets towards 0 so that a class with few held-out examples cannot get an extreme one.
OFFSET_L2 = 0.01
# Above this many training texts, features seen once are dropped and the vocabulary is capped: they add
# memory (the weight matrix is classes x features) without helping on a large set.
LARGE_CORPUS = 2000
MAX_WORD_FEATURES = 100_000
MAX_CHAR_FEATURES = 250_000
CALIBRATION_SAMPLE = 3000
MAX_SVM_ROWS = 30_000
TRAIN_THREADS = max(1, min(4, os.cpu_count() or 1))

_FRAGMENT_SPLIT = re.compile(r"[,;.\n/|]+")


def _svm_rows(positive: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Rows for one class's SVM: all of them, or on a large corpus all positives plus a sample of negatives.

    Each one-vs-rest problem costs time proportional to its rows, and with many classes almost all rows are
    negatives that the SVM has long since separated. Capping them keeps training linear in the corpus size
    per class at a bounded cost; balanced class weights already make the loss independent of the ratio.
    """
    if len(positive) <= MAX_SVM_ROWS:
        return np.arange(len(positive))
    pos = np.flatnonzero(positive)
    neg = np.flatnonzero(~positive)
    keep = max(MAX_SVM_ROWS - len(pos), MAX_SVM_ROWS // 2)
    if len(neg) > keep:
        neg = rng.choice(neg, keep, replace=False)
    return np.sort(np.concatenate([pos, neg]))


def _fit_nbsvm(X: sp.csr_matrix, y: np.ndarray, n_classes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Effective weights (classes x features) and intercepts of a one-vs-rest NBSVM."""
    n_features = X.shape[1]
    W = np.zeros((n_classes, n_features), dtype=np.float32)
    b = np.zeros(n_classes, dtype=np.float64)
    if n_classes < 2:
        return W, b
    presence = X.copy()
    presence.data[:] = 1.0
    onehot = sp.csr_matrix((np.ones(len(y), dtype=np.float32), (y, np.arange(len(y)))), shape=(n_classes, len(y)))
    in_class = np.asarray((onehot @ presence).todense(), dtype=np.float64)
    total = in_class.sum(axis=0)
    rng = np.random.default_rng(seed)
    # liblinear wants float64 CSR with sorted indices; converting once here instead of per class (scikit-learn
    # would copy and re-sort every scaled matrix) halves training time with many classes.
    X = sp.csr_matrix(X, dtype=np.float64)
    X.sort_indices()
    # Rows are drawn before any thread starts, so a seed gives the same model however the fits interleave.
    rows_by_class = [_svm_rows(y == c, rng) for c in range(n_classes)]

    def fit_one(c: int) -> None:
        p = in_class[c] + NB_ALPHA
        q = total - in_class[c] + NB_ALPHA
        ratio = np.log(p / p.sum()) - np.log(q / q.sum())
        rows = rows_by_class[c]
        scaled = X[rows]  # a row slice keeps the indices sorted; scale each stored value by its column's ratio
        scaled.data *= ratio[scaled.indices]
        # The dual solver is 2-3x faster than the primal one on large sparse text matrices.
        svm = LinearSVC(C=SVM_C, class_weight="balanced", dual=True, tol=SVM_TOL, random_state=seed, max_iter=2000)
        svm.fit(scaled, y[rows] == c)
        W[c] = (ratio * svm.coef_.ravel()).astype(np.float32)
        b[c] = svm.intercept_[0]

    # liblinear releases the GIL while it trains: the one-vs-rest problems run side by side on threads.
    with ThreadPoolExecutor(max_workers=TRAIN_THREADS) as pool:
        list(pool.map(fit_one, range(n_classes)))
    return W, b


def _softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = scores * temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _fit_calibration(X: sp.csr_matrix, y: np.ndarray, n_classes: int, seed: int) -> tuple[float, np.ndarray]:
    """Temperature and per-class offsets (added after scaling) maximising the likelihood of held-out scores.

    Held-out scores come from 3-fold cross-validation on (a sample of) the training set. Returns the prior
    temperature and no offsets when there is too little data to hold any out.
    """
    no_offsets = np.zeros(n_classes)
    counts = np.bincount(y, minlength=n_classes)
    if n_classes < 2 or counts.min() < 3 or len(y) < 30:
        return DEFAULT_TEMPERATURE, no_offsets
    rng = np.random.default_rng(seed)
    idx = np.arange(len(y))
    if len(y) > CALIBRATION_SAMPLE:
        idx = np.sort(rng.choice(idx, CALIBRATION_SAMPLE, replace=False))
        if np.bincount(y[idx], minlength=n_classes).min() < 3:
            return DEFAULT_TEMPERATURE, no_offsets
    Xs, ys = X[idx], y[idx]
    held_out = np.zeros((len(ys), n_classes))
    for tr, te in StratifiedKFold(n_splits=3, shuffle=True, random_state=seed).split(Xs, ys):
        W, b = _fit_nbsvm(Xs[tr], ys[tr], n_classes, seed)
        held_out[te] = Xs[te] @ W.T + b
    onehot = np.eye(n_classes)[ys]

    def loss_and_gradient(params: np.ndarray) -> tuple[float, np.ndarray]:
        temperature, offsets = params[0], params[1:]
        proba = _softmax(held_out * temperature + offsets, 1.0)
        loss = -np.log(np.clip(proba[np.arange(len(ys)), ys], 1e-12, None)).mean() + OFFSET_L2 * offsets @ offsets
        residual = (proba - onehot) / len(ys)
        grad = np.concatenate([[np.sum(residual * held_out)], residual.sum(axis=0) + 2 * OFFSET_L2 * offsets])
        return loss, grad

    start = np.concatenate([[DEFAULT_TEMPERATURE], no_offsets])
    bounds = [(0.05, 256.0)] + [(None, None)] * n_classes
    result = minimize(loss_and_gradient, start, jac=True, method="L-BFGS-B", bounds=bounds)
    if not np.all(np.isfinite(result.x)):
        return DEFAULT_TEMPERATURE, no_offsets
    return float(result.x[0]), result.x[1:] - result.x[1:].mean()


class RoutingModel:
    """A trained router. Build with train() or cold_start(); persist with dumps()/loads()."""

    def __init__(self, classes, word_vec, char_vec, weights, intercepts, temperature, concepts=None):
        self.classes = list(classes)
        self.word_vec = word_vec
        self.char_vec = char_vec
        self.weights = weights
        self.intercepts = intercepts
        self.temperature = temperature
        self.concepts = concepts if concepts is not None else ConceptLexicon({})
        self._index = {c: i for i, c in enumerate(self.classes)}

    # -- features ---------------------------------------------------------------------------------------------
    def _word_rows(self, normalised: Sequence[str]) -> sp.csr_matrix:
        return self.word_vec.rows([word_tokens(n, self.concepts) for n in normalised])

    def _char_rows(self, normalised: Sequence[str]) -> sp.csr_matrix:
        return self.char_vec.rows([char_analyzer(n) for n in normalised])

    def _features(self, normalised: Sequence[str]) -> sp.csr_matrix:
        return sp.hstack([self._word_rows(normalised), self._char_rows(normalised)], format="csr")

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Raw class scores (texts x classes), in the order of self.classes."""
        X = self._features([normalize(t) for t in texts])
        # Only the features present in these texts count. Multiplying by just those columns of the weights
        # costs classes x (words in the texts); X @ weights.T would first copy the whole transposed
        # (classes x features) matrix, about 1 ms per call with 70 classes.
        cols = np.unique(X.indices)
        return np.asarray(X[:, cols] @ self.weights[:, cols].T) + self.intercepts

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return _softmax(self.scores(texts), self.temperature)

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [self.classes[i] for i in self.scores(texts).argmax(axis=1)]

    def predict_top(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        """The k most likely labels with confidences in 0..1, best first."""
        proba = self.predict_proba([text])[0]
        order = np.argsort(-proba, kind="stable")[: max(0, k)]
        return [(self.classes[i], float(proba[i])) for i in order]

    # -- explanations -----------------------------------------------------------------------------------------
    def explain(self, text: str, label: str, n: int = 5) -> list[str]:
        """Up to n words of the text that pushed most towards `label`, as the citizen wrote them.

        A feature's contribution is its TF-IDF value times the label's weight. Word features belong to their
        word; a char n-gram's contribution is shared by the words that contain it. Only words with a positive
        total are returned, so a text with nothing in favour of the label gets an empty list.
        """
        c = self._index.get(label)
        if c is None or n <= 0:
            return []
        pairs = tokens_with_source(text)
        if not pairs:
            return []
        w = self.weights[c]
        totals: dict[str, float] = {}
        normalised = " ".join(tok for tok, _ in pairs)

        x = self._word_rows([normalised])
        vocab = self.word_vec.vocabulary_
        value = dict(zip(x.indices.tolist(), x.data.tolist(), strict=True))
        repeats = Counter(tok for tok, _ in pairs)
        for tok, raw in pairs:
            j = vocab.get(tok)
            if j is not None and j in value:
                # Split over repeated occurrences so a word is not counted once per repetition.
                totals[raw] = totals.get(raw, 0.0) + value[j] * float(w[j]) / repeats[tok]
        # A catalogue concept belongs to the words of the phrases that produced it.
        matches = self.concepts.matches([tok for tok, _ in pairs])
        occurrences = Counter(c for _, _, concepts in matches for c in concepts)
        for start, end, concepts in matches:
            raws = [raw for _, raw in pairs[start:end]]
            for concept in concepts:
                j = vocab.get(concept)
                if j is not None and j in value:
                    share = value[j] * float(w[j]) / occurrences[concept] / len(raws)
                    for raw in raws:
                        totals[raw] = totals.get(raw, 0.0) + share

        x = self._char_rows([normalised])
        offset = len(vocab)
        value = dict(zip((x.indices + offset).tolist(), x.data.tolist(), strict=True))
        cvocab = self.char_vec.vocabulary_
        owners: dict[int, list[str]] = {}
        for tok, raw in pairs:
            for j in {cvocab[g] for g in word_char_ngrams(tok) if g in cvocab}:
                owners.setdefault(j + offset, []).append(raw)
        for j, raws in owners.items():
            if j in value:
                share = value[j] * float(w[j]) / len(raws)
                for raw in raws:
                    totals[raw] = totals.get(raw, 0.0) + share

        best = sorted((item for item in totals.items() if item[1] > 0), key=lambda item: -item[1])[:n]
        return [_surface(text, raw) for raw, _ in best]

    # -- persistence ------------------------------------------------------------------------------------------
    def dumps(self) -> bytes:
        """Serialise with joblib (pickle). Only load the result with loads() from our own storage."""
        state = {
            "format": FORMAT_VERSION,
            "normalizer": NORMALIZER_VERSION,
            "classes": self.classes,
            "word_vec": self.word_vec,
            "char_vec": self.char_vec,
            "weights": self.weights,
            "intercepts": self.intercepts,
            "temperature": self.temperature,
            "concepts": self.concepts,
        }
        buf = io.BytesIO()
        joblib.dump(state, buf, compress=3)
        return buf.getvalue()

    @classmethod
    def loads(cls, data: bytes) -> RoutingModel:
        """Inverse of dumps(). Unpickles: never pass bytes that did not come from our own database."""
        state = joblib.load(io.BytesIO(data))
        if not isinstance(state, dict) or state.get("format") != FORMAT_VERSION:
            raise ValueError("not a routing model of this version; retrain it")
        if state.get("normalizer") != NORMALIZER_VERSION:
            raise ValueError("routing model was trained with another normaliser version; retrain it")
        return cls(
            state["classes"],
            state["word_vec"],
            state["char_vec"],
            state["weights"],
            state["intercepts"],
            state["temperature"],
            state["concepts"],
        )


def _surface(text: str, raw: str) -> str:
    """The word as written in the text (original case) when it can be found, else its folded form."""
    if raw.isalpha() and raw.isascii():
        m = re.search(rf"(?<![^\W\d_]){re.escape(raw)}(?![^\W\d_])", text, re.IGNORECASE)
        if m:
            return m.group(0)
    return raw


def word_tokens(normalised: str, concepts: ConceptLexicon) -> list[str]:
    """What the word features count: the normalised words followed by their catalogue concept tokens."""
    return normalised.split() + concepts.tokens(normalised)


def train(
    texts: Sequence[str], labels: Sequence, *, seed: int = 0, concepts: ConceptLexicon | None = None
) -> RoutingModel:
    """Fit a router on labelled texts. Labels may be any hashable; they are compared as strings.

    `concepts` is the catalogue lexicon whose concept tokens join the word features (none: words only).
    """
    if len(texts) != len(labels):
        raise ValueError("texts and labels differ in length")
    if not texts:
        raise ValueError("no training texts")
    str_labels = [str(label) for label in labels]
    classes = sorted(set(str_labels))
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[label] for label in str_labels], dtype=np.int64)
    normalised = [normalize(t) or "_empty_" for t in texts]

    concepts = concepts if concepts is not None else ConceptLexicon({})
    word_docs = [word_tokens(n, concepts) for n in normalised]

    large = len(texts) > LARGE_CORPUS
    min_df = 2 if large else 1
    try:
        X_word, word_vec = fit_words(word_docs, min_df=min_df, max_features=MAX_WORD_FEATURES if large else None)
    except ValueError:
        # min_df can leave nothing when every word is unique; fall back to keeping them all.
        X_word, word_vec = fit_words(word_docs)
    X_char, char_vec = fit_chars(normalised, min_df=min_df, max_features=MAX_CHAR_FEATURES if large else None)
    X = sp.hstack([X_word, X_char], format="csr")

    weights, intercepts = _fit_nbsvm(X, y, len(classes), seed)
    temperature, offsets = _fit_calibration(X, y, len(classes), seed)
    # softmax((scores + offsets / t) * t) == softmax(scores * t + offsets): fold the offsets into the
    # intercepts, so ranking, confidences and explanations all see one set of scores.
    intercepts = intercepts + offsets / temperature
    return RoutingModel(classes, word_vec, char_vec, weights, intercepts, temperature, concepts)


def catalogue_text(name: str, description: str = "", keywords: str | Iterable[str] = "") -> str:
    """One training text for a catalogue entry: service name, description and keywords."""
    if not isinstance(keywords, str):
        keywords = ", ".join(keywords)
    return ". ".join(part.strip() for part in (name, description, keywords) if part and part.strip())


def cold_start(
    examples: Iterable[tuple[str, str]], *, seed: int = 0, concepts: ConceptLexicon | None = None
) -> RoutingModel:
    """A first router from catalogue descriptions, before any routed reports exist.

    `examples` are (label, text) pairs, typically one per service built with catalogue_text(). With one or
    two texts per class a single document is too little for the SVM, so every text is also split into its
    fragments (name, each sentence, each keyword): short pseudo-reports that each carry part of the
    vocabulary, much like real reports that mention only one aspect of a service.
    """
    texts: list[str] = []
    labels: list[str] = []
    for label, text in examples:
        if not text or not str(text).strip():
            continue
        texts.append(str(text))
        labels.append(str(label))
        for fragment in _FRAGMENT_SPLIT.split(str(text)):
            if fragment.strip() and fragment.strip() != str(text).strip():
                texts.append(fragment.strip())
                labels.append(str(label))
    if not texts:
        raise ValueError("cold start needs at least one non-empty catalogue text")
    return train(texts, labels, seed=seed, concepts=concepts)
