"""Routing model benchmark: suggestion latency and training time.

    .venv/bin/python -m bench.routing [--train-size 100000] [--classes 70] [--runs 3] [--json FILE]

Synthetic corpus: short texts made by cutting random word windows out of the shared labelled complaints
(bench/data/routing, copied from the shared data; or --data DIR) and joining two windows of the same label, so vocabulary and
label structure are realistic while the size is arbitrary. Prints medians over the runs.
"""

import argparse
import csv
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

DEFAULT_DATA = Path(os.environ.get("SIKESAL_ROUTING_DATA", Path(__file__).resolve().parent / "data/routing"))


def load_sources(data_dir: Path, classes: int = 0):
    """Word lists by label. With `classes`, each label is split into sub-labels by source document until
    there are about that many: a harder problem than a real catalogue (sub-labels of one label share their
    vocabulary), so training times measured this way are an upper bound for that many services."""
    by_label: dict[str, list[list[str]]] = {}
    rows = []
    for path in sorted(data_dir.glob("*.csv")):
        with path.open(encoding="utf-8") as fh:
            rows += [(f"{path.stem}:{row['label']}", row["text"].split()) for row in csv.DictReader(fh)]
    labels = sorted({label for label, _ in rows})
    split = max(1, round(classes / len(labels))) if classes and labels else 1
    for n, (label, words) in enumerate(rows):
        if words:
            by_label.setdefault(f"{label}#{n % split}" if split > 1 else label, []).append(words)
    if not by_label:
        sys.exit(f"no CSV files with text,label columns in {data_dir}")
    return by_label


def synthesise(by_label, n, seed=0):
    rng = random.Random(seed)
    labels = sorted(by_label)
    texts, ys = [], []
    for _ in range(n):
        label = rng.choice(labels)
        parts = []
        for _ in range(rng.choice((1, 2))):
            words = rng.choice(by_label[label])
            size = rng.randint(6, 25)
            start = rng.randrange(max(1, len(words) - size + 1))
            parts.append(" ".join(words[start : start + size]))
        texts.append(" ".join(parts))
        ys.append(label)
    return texts, ys


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-size", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--classes", type=int, default=0, help="split the labels into about this many classes")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from sikesal.routing.concepts import bundled_lexicon
    from sikesal.routing.model import train

    by_label = load_sources(args.data, args.classes)
    texts, labels = synthesise(by_label, args.train_size)
    queries, _ = synthesise(by_label, args.queries, seed=1)
    print(f"cpus={os.cpu_count()} train_size={len(texts)} classes={len(set(labels))} runs={args.runs}")

    train_times, latencies_ms, p95_ms = [], [], []
    model = None
    for run in range(args.runs):
        started = time.perf_counter()
        # With the shipped catalogue's concepts, as the product trains (it uses the live catalogue).
        model = train(texts, labels, seed=run, concepts=bundled_lexicon())
        train_times.append(time.perf_counter() - started)
        per_query = []
        for q in queries:
            t0 = time.perf_counter()
            top = model.predict_top(q, k=3)
            model.explain(q, top[0][0], n=5)
            per_query.append((time.perf_counter() - t0) * 1000)
        latencies_ms.append(statistics.median(per_query))
        p95_ms.append(sorted(per_query)[int(0.95 * (len(per_query) - 1))])
        print(
            f"run {run + 1}: train {train_times[-1]:.1f}s, suggestion (predict_top+explain) "
            f"median {latencies_ms[-1]:.2f} ms p95 {p95_ms[-1]:.2f} ms",
            flush=True,
        )

    size_mb = len(model.dumps()) / 1e6
    result = {
        "train_size": len(texts),
        "classes": len(set(labels)),
        "train_seconds_median": round(statistics.median(train_times), 2),
        "suggestion_ms_median": round(statistics.median(latencies_ms), 3),
        "suggestion_ms_p95_median": round(statistics.median(p95_ms), 3),
        "model_mb": round(size_mb, 1),
    }
    print(
        f"median: train {result['train_seconds_median']}s for {len(texts)} texts; suggestion "
        f"{result['suggestion_ms_median']} ms (p95 {result['suggestion_ms_p95_median']} ms); model {size_mb:.1f} MB"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
