"""Cross-validated evaluation of the routing model on any labelled CSV.

Used by `manage.py routing_evaluate`, so that a change to normalisation or to the model can be checked on
public data sets (Malang SAMBAT, Purbalingga LAPORMASBUP) and on our own exported reports the same way.
Protocol: texts of the chosen columns joined with a space; empty texts and rows without a label skipped;
exact duplicate texts removed (first kept) so that a copy in the test fold cannot inflate scores; classes
with fewer examples than folds dropped (stratification needs one per fold); then repeated stratified k-fold,
training model.train() from scratch on every training fold. The concept lexicon is the catalogue shipped
with SIKESAL, not the database's, so that the figures do not depend on the database the command runs on.
"""

from __future__ import annotations

import csv
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import RepeatedStratifiedKFold

from . import model as routing_model
from .concepts import bundled_lexicon

ENCODINGS = ("utf-8", "utf-8-sig", "latin-1")
DELIMITERS = (",", ";", "\t", "|")


class EvaluationError(Exception):
    """Bad input: the message is meant for the person who ran the command."""


@dataclass
class Dataset:
    texts: list[str]
    labels: list[str]
    notes: list[str]


@dataclass
class Result:
    accuracy: float
    macro_f1: float
    top3: float
    n: int
    classes: int

    def summary(self) -> str:
        return (
            f"accuracy={self.accuracy:.3f} macro_f1={self.macro_f1:.3f} top3={self.top3:.3f} "
            f"n={self.n} classes={self.classes}"
        )


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise EvaluationError(f"file not found: {path}") from None
    except IsADirectoryError:
        raise EvaluationError(f"not a file: {path}") from None
    except OSError as exc:
        raise EvaluationError(f"cannot read {path}: {exc.strerror or exc}") from None
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return text.lstrip("\ufeff")
    raise EvaluationError(f"cannot decode {path}")  # unreachable: latin-1 decodes anything


def _find_column(header: list[str], wanted: str) -> int:
    for i, name in enumerate(header):
        if name == wanted:
            return i
    folded = wanted.strip().casefold()
    for i, name in enumerate(header):
        if name.strip().casefold() == folded:
            return i
    raise EvaluationError(f"unknown column {wanted!r}; the CSV has: {', '.join(repr(h) for h in header)}")


def load_csv(path: str | Path, text_cols: Sequence[str], label_col: str) -> tuple[list[str], list[str]]:
    """Texts (chosen columns joined with a space) and labels of every row that has both."""
    content = _read_text(Path(path))
    if not content.strip():
        raise EvaluationError(f"{path} is empty")
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    lines = content.splitlines(keepends=True)
    try:
        # Exports from spreadsheets use ';' or tabs as often as ','; take the first delimiter whose header
        # has every requested column, and report columns as split by ',' otherwise.
        header, delimiter, error = None, ",", None
        for candidate in DELIMITERS:
            first = next(csv.reader(lines[:1], delimiter=candidate), None)
            if not first:
                raise EvaluationError(f"{path} has no header row")
            first = [h.strip() for h in first]
            try:
                text_idx = [_find_column(first, col) for col in text_cols]
                label_idx = _find_column(first, label_col)
            except EvaluationError as exc:
                error = error or exc
                continue
            header, delimiter = first, candidate
            break
        if header is None:
            raise error
        texts, labels = [], []
        for row in csv.reader(lines[1:] if len(lines) > 1 else [], delimiter=delimiter):
            if len(row) <= label_idx:
                continue
            label = row[label_idx].strip()
            text = " ".join(row[i].strip() for i in text_idx if i < len(row) and row[i].strip())
            if label and text:
                texts.append(text)
                labels.append(label)
    except csv.Error as exc:
        raise EvaluationError(f"{path} is not a readable CSV: {exc}") from None
    return texts, labels


def prepare(texts: Sequence[str], labels: Sequence[str], folds: int) -> Dataset:
    """Remove exact duplicate texts and classes too small to appear in every fold."""
    notes = []
    seen: dict[str, str] = {}
    for text, label in zip(texts, labels, strict=True):
        seen.setdefault(text, label)
    if len(seen) < len(texts):
        notes.append(f"removed {len(texts) - len(seen)} duplicate texts")
    counts = Counter(seen.values())
    small = sorted(label for label, count in counts.items() if count < folds)
    if small:
        shown = ", ".join(repr(s) for s in small[:10]) + (" ..." if len(small) > 10 else "")
        notes.append(f"dropped {len(small)} classes with fewer than {folds} examples: {shown}")
    keep = [(t, lab) for t, lab in seen.items() if counts[lab] >= folds]
    return Dataset([t for t, _ in keep], [lab for _, lab in keep], notes)


def cross_validate(
    data: Dataset,
    *,
    folds: int = 5,
    repeats: int = 3,
    seed: int = 0,
    log: Callable[[str], None] = print,
) -> Result:
    if folds < 2:
        raise EvaluationError("--folds must be at least 2")
    if repeats < 1:
        raise EvaluationError("--repeats must be at least 1")
    classes = sorted(set(data.labels))
    if len(classes) < 2:
        raise EvaluationError(
            f"need at least 2 classes with {folds} or more examples each, found {len(classes)} (n={len(data.texts)})"
        )
    texts = np.array(data.texts, dtype=object)
    labels = np.array(data.labels, dtype=object)
    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
    total = folds * repeats
    accs, f1s, top3s = [], [], []
    concepts = bundled_lexicon()
    for k, (train_idx, test_idx) in enumerate(splitter.split(texts, labels), start=1):
        started = time.perf_counter()
        m = routing_model.train(list(texts[train_idx]), list(labels[train_idx]), seed=seed, concepts=concepts)
        scores = m.scores(list(texts[test_idx]))
        model_classes = np.array(m.classes, dtype=object)
        order = np.argsort(-scores, axis=1, kind="stable")
        predicted = model_classes[order[:, 0]]
        truth = labels[test_idx]
        accs.append(accuracy_score(truth, predicted))
        f1s.append(f1_score(truth, predicted, average="macro", zero_division=0))
        top3s.append(float(np.mean([t in set(model_classes[row[:3]]) for t, row in zip(truth, order, strict=True)])))
        log(
            f"fold {k}/{total}: accuracy={accs[-1]:.3f} macro_f1={f1s[-1]:.3f} top3={top3s[-1]:.3f} "
            f"train={len(train_idx)} test={len(test_idx)} ({time.perf_counter() - started:.1f}s)"
        )
    return Result(float(np.mean(accs)), float(np.mean(f1s)), float(np.mean(top3s)), len(texts), len(classes))


def evaluate_csv(
    path: str | Path,
    text_cols: Sequence[str],
    label_col: str,
    *,
    folds: int = 5,
    repeats: int = 3,
    seed: int = 0,
    log: Callable[[str], None] = print,
) -> Result:
    text_cols = [c for c in text_cols if c.strip()]
    if not text_cols:
        raise EvaluationError("give at least one text column")
    texts, labels = load_csv(path, text_cols, label_col)
    log(f"read {len(texts)} labelled rows from {path}")
    data = prepare(texts, labels, folds)
    for note in data.notes:
        log(note)
    if len(data.texts) < folds:
        raise EvaluationError(f"too few rows to evaluate: {len(data.texts)} usable, need at least {folds}")
    log(f"evaluating n={len(data.texts)} classes={len(set(data.labels))} with {folds} folds x {repeats} repeats")
    return cross_validate(data, folds=folds, repeats=repeats, seed=seed, log=log)
