"""Duplicate detection: precision/recall on a labelled pair set, and the cost of one check at scale.

    .venv/bin/python -m bench.duplicates [--reports 100000] [--checks 200] [--json FILE]

The labelled set (built here, reproducibly from seed 0) comes from the real complaints in
bench/data/routing. A *duplicate* pair is a complaint and a re-telling of it as a second citizen would
write it: 20-40% of the words dropped, some words swapped for their slang/abbreviated forms (the inverse
of sikesal/routing/data/slang_id.tsv), a few typos (a doubled or dropped letter) and the clauses
reordered. A *non-duplicate* pair is two different complaints with the same label (same OPD or sector):
the hard case, since they share a topic's vocabulary. Scored by the text rule of
sikesal.routing.duplicates (similarity >= SAME_TEXT); the place and reporter rules are not in this set.

The scale part seeds N reports (bench.seed, SQLite in a temp dir or DATABASE_URL) and times
`duplicates.find` for new texts of random services and places (p50/p95 ms), with the shingle cache warm as
in a running server, and cold (emptied before each check).
"""

import argparse
import csv
import json
import random
import statistics
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "routing"
SLANG = Path(__file__).resolve().parents[1] / "sikesal" / "routing" / "data" / "slang_id.tsv"


def load_texts():
    rows = []
    for path in sorted(DATA.glob("*.csv")):
        with open(path, encoding="utf-8") as fh:
            rows += [(r["text"].strip(), f"{path.stem}:{r['label']}") for r in csv.DictReader(fh) if r["text"].strip()]
    return list(dict(rows).items())  # exact duplicate texts once


def inverse_slang():
    out = {}
    for line in SLANG.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or "\t" not in line:
            continue
        slang, standard = line.split("\t")[:2]
        if " " not in standard:
            out.setdefault(standard, []).append(slang)
    return out


def retell(text, rng, slang):
    words = text.split()
    keep = [w for w in words if rng.random() > rng.uniform(0.2, 0.4)] or words[:3]
    out = []
    for w in keep:
        low = w.lower()
        if low in slang and rng.random() < 0.5:
            w = rng.choice(slang[low])
        elif len(w) > 4 and rng.random() < 0.08:
            i = rng.randrange(1, len(w) - 1)
            w = w[:i] + w[i] + w[i:] if rng.random() < 0.5 else w[:i] + w[i + 1 :]
        out.append(w)
    if len(out) > 8 and rng.random() < 0.5:
        cut = len(out) // 2
        out = out[cut:] + out[:cut]
    return " ".join(out)


def labelled_pairs(seed=0):
    rng = random.Random(seed)
    slang = inverse_slang()
    texts = load_texts()
    by_label = {}
    for text, label in texts:
        by_label.setdefault(label, []).append(text)
    pairs = []
    for text, label in texts:
        if len(text.split()) < 6:
            continue
        pairs.append((text, retell(text, rng, slang), True))
        others = [t for t in by_label[label] if t != text]
        if others:
            pairs.append((text, rng.choice(others), False))
    return pairs


def precision_recall(pairs):
    from sikesal.routing.duplicates import SAME_TEXT, shingles, similarity

    tp = fp = fn = tn = 0
    for a, b, dup in pairs:
        said = similarity(shingles(a), shingles(b)) >= SAME_TEXT
        tp += said and dup
        fp += said and not dup
        fn += (not said) and dup
        tn += (not said) and not dup
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {"pairs": len(pairs), "duplicates": tp + fn, "precision": round(precision, 3), "recall": round(recall, 3)}


def scale(n_reports, checks):
    from bench.core import setup_django

    setup_django()
    from bench.seed import generate
    from sikesal.catalogue.models import Area, Service
    from sikesal.complaints.models import Complaint
    from sikesal.routing import duplicates

    if Complaint.objects.count() < n_reports:
        generate(n_reports - Complaint.objects.count())
    rng = random.Random(1)
    services = list(Service.objects.values_list("pk", "name", "keywords"))
    areas = list(Area.objects.filter(level="kelurahan").values_list("code", flat=True))
    times, cold = [], []
    for n in range(2 * checks):
        pk, name, keywords = rng.choice(services)
        if n >= checks:  # the second half starts each check with the shingle cache empty, as after a restart
            duplicates.shingles.cache_clear()
            duplicates._word_shingles.cache_clear()
        start = time.perf_counter()
        duplicates.find(
            name,
            f"{keywords}. Mohon segera ditindaklanjuti, sudah lama tidak diperbaiki.",
            service_id=pk,
            area_id=rng.choice(areas),
            latitude=-1.61 + rng.uniform(-0.03, 0.03),
            longitude=103.61 + rng.uniform(-0.03, 0.03),
            phone="0812" + str(rng.randrange(10**7, 10**8)),
        )
        (times if n < checks else cold).append((time.perf_counter() - start) * 1000)
    times.sort()
    cold.sort()
    return {
        "reports": Complaint.objects.count(),
        "check_p50_ms": round(statistics.median(times), 2),
        "check_p95_ms": round(times[int(0.95 * (len(times) - 1))], 2),
        "cold_check_p50_ms": round(statistics.median(cold), 2),
        "cold_check_p95_ms": round(cold[int(0.95 * (len(cold) - 1))], 2),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--checks", type=int, default=200)
    parser.add_argument("--json")
    args = parser.parse_args()
    from bench.core import setup_django

    setup_django()
    result = precision_recall(labelled_pairs())
    result.update(scale(args.reports, args.checks))
    print("| metric | value |\n|---|---|")
    for key, value in result.items():
        print(f"| {key} | {value} |")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
