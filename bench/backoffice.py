"""Back-office inbox and search response times on many reports, through Django's test client (no HTTP).

    .venv/bin/python -m bench.backoffice [--reports 100000] [--requests 30]

Seeds a fresh SQLite database (or the DATABASE_URL one, emptied first) with bench.seed, then times the
admin's inbox queues with filters and pagination, full-text searches and an OPD liaison's inbox.
Prints p50/p95 in milliseconds.
"""

import argparse
import json
import random
import statistics
import time


def timed(client, url, n):
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 1), "p95_ms": round(samples[int(0.95 * (len(samples) - 1))], 1)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    from bench.core import setup_django

    setup_django()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from bench.seed import generate
    from sikesal.accounts.models import User
    from sikesal.catalogue.models import Institution
    from sikesal.complaints.models import Complaint, Event

    settings.ALLOWED_HOSTS = ["*"]
    Event.objects.all()._raw_delete(Event.objects.db)
    Complaint.objects.all().delete()
    seed_s = generate(args.reports)
    admin, _ = User.objects.get_or_create(username="bench-admin", defaults={"role": "admin"})
    pupr = Institution.objects.get(short_name="Dinas PUPR")
    liaison, _ = User.objects.get_or_create(
        username="bench-pupr", defaults={"role": "opd_liaison", "institution": pupr}
    )
    client, opd_client = Client(), Client()
    client.force_login(admin)
    opd_client.force_login(liaison)
    rng = random.Random(1)
    words = ["lampu", "pipa bocor", "sampah", "jalan berlubang", "drainase tersumbat", "parkir"]
    results = {
        "db": connection.vendor,
        "reports": args.reports,
        "seed_seconds": round(seed_s, 1),
        "inbox_new": timed(client, "/kantor/?antrian=baru", args.requests),
        "inbox_overdue_filtered": timed(client, "/kantor/?antrian=terlambat&layanan=jalan-rusak&hal=3", args.requests),
        "inbox_all_page_20": timed(client, "/kantor/?antrian=semua&hal=20", args.requests),
        "search": timed(client, f"/kantor/?antrian=semua&q={rng.choice(words)}", args.requests),
        "opd_inbox": timed(opd_client, "/kantor/?antrian=semua", args.requests),
    }
    print(json.dumps(results, indent=2))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()
