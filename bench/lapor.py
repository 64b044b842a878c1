"""SP4N-LAPOR! sync benchmark: backfill pull rate and memory, and steady-state lag.

    .venv/bin/python -m bench.lapor [--reports 100000] [--runs 1] [--per-report] [--lag-samples 50] [--json FILE]

Starts the simulator on a free loopback port with its own data dir, has it "file" N citizen reports
addressed to the city (the national admin dispositions them), then times `pull.pull()` reading
all of them into a fresh SIKESAL database (SQLite in a temp dir, or DATABASE_URL's PostgreSQL,
emptied of complaints first). With `--runs R` the local side is emptied and the same N reports are
pulled again, R times in all: `lapor_backfill_rps` is the median (each run in `backfill_per_run`).
The pull takes the bulk path for pages of new reports; `--per-report` measures the one-by-one path
instead (the figure before the bulk path existed). Lag: a reporter writes on SP4N-LAPOR! and the time until the follow-up
is on the local timeline is measured with the sync polling every `--poll` seconds (p50/p95).

    .venv/bin/python -m bench.lapor --push 3000 [--latency 0.05] [--runs 3] [--json FILE]

`--push N` measures the other direction instead: N local reports (bench.seed, with their timelines) are
queued for SP4N-LAPOR! (the backfill's replay: a create, then each public change), and `outbound.push` sends
the whole outbox to the simulator answering every call after `--latency` seconds. `lapor_push_rps` is the
median over the runs of outbox rows sent per second (each run starts from an empty simulator).
"""

import argparse
import json
import resource
import statistics
import tempfile
import time

from bench.core import setup_django


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--lag-samples", type=int, default=50)
    parser.add_argument("--poll", type=float, default=1.0, help="seconds between pulls in the lag test")
    parser.add_argument("--runs", type=int, default=1, help="backfill runs over the same simulator data")
    parser.add_argument("--per-report", action="store_true", help="create new reports one by one (no bulk)")
    parser.add_argument("--push", type=int, default=0, help="measure pushing N local reports instead")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds the simulator takes per call (--push)")
    parser.add_argument("--json")
    args = parser.parse_args()
    setup_django()
    if args.push:
        return push_main(args)

    from django.conf import settings

    from sikesal.complaints.models import Complaint, Event, PendingEffect
    from sikesal.integrations.lapor import masters, pull
    from sikesal.integrations.lapor.models import Link, RemoteFollowup, SyncState
    from tests.lapor.conftest import Sim, start_simulator

    dispatches = PendingEffect.objects.all()

    def empty_local():
        dispatches.all()._raw_delete(PendingEffect.objects.db)
        Event.objects.all()._raw_delete(Event.objects.db)
        Complaint.objects.all().delete()
        SyncState.objects.all().delete()

    empty_local()
    proc, url = start_simulator(tempfile.mkdtemp(prefix="lapor-sim-bench-"), "--tick-interval", "0")
    sim = Sim(url)
    settings.LAPOR_BASE_URL = url
    settings.LAPOR_AUTH_SECRET, settings.LAPOR_TOKEN = "Bearer sim-secret", "sim-token"
    settings.LAPOR_SYNC_MAX_SECONDS = 24 * 3600
    # An unverified report's create waits up to 30 minutes for its anonim/rahasia to be final (outbound._queue):
    # here every row is measured going out, none waits.
    settings.LAPOR_FLAGS_HOLD_SECONDS = 0
    try:
        sim.post("/__sim/config", {"admin_delay": 0})
        left = args.reports
        while left:
            batch = min(left, 10_000)
            sim.citizens(batch)
            left -= batch
        sim.tick()
        masters.sync_masters()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        runs = []
        for run in range(args.runs):
            if run:
                empty_local()
            start = time.perf_counter()
            counts = pull.pull(bulk=not args.per_report)
            runs.append(time.perf_counter() - start)
            assert counts["created"] == args.reports, counts
            assert Link.objects.count() == args.reports
            assert Event.objects.count() == args.reports  # one submit event each
            assert dispatches.count() == args.reports  # and its side effects queued
            print(f"backfill run {run + 1}: {args.reports / runs[-1]:.1f} reports/s", flush=True)
        backfill = statistics.median(runs)
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

        lags = []
        remote_ids = list(Link.objects.values_list("remote_id", flat=True)[: args.lag_samples])
        for rid in remote_ids:
            sim.post(f"/__sim/reporter/{rid}", {"action": "reply", "content": "Mohon segera dicek."})
            written = time.perf_counter()
            # the worker's rhythm: a pull every `poll` seconds, at a random phase of the change
            time.sleep(args.poll * (len(lags) % 10) / 10)
            while not RemoteFollowup.objects.filter(complaint__lapor_link__remote_id=rid).exists():
                pull.pull()
                if not RemoteFollowup.objects.filter(complaint__lapor_link__remote_id=rid).exists():
                    time.sleep(args.poll)
            lags.append(time.perf_counter() - written)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    lags.sort()
    result = {
        "db": "postgresql" if "postgresql" in settings.DATABASES["default"]["ENGINE"] else "sqlite",
        "reports": args.reports,
        "backfill_path": "per-report" if args.per_report else "bulk",
        "backfill_seconds": round(backfill, 1),
        "backfill_reports_per_s": round(args.reports / backfill, 1),
        "lapor_backfill_rps": round(args.reports / backfill, 1),  # the median of the runs
        "backfill_per_run": [round(args.reports / t, 1) for t in runs],
        "backfill_peak_rss_mb": round(max(rss_before, rss_after) / 1024, 1),
        "lag_poll_seconds": args.poll,
        "lag_p50_s": round(statistics.median(lags), 3),
        "lag_p95_s": round(lags[int(0.95 * (len(lags) - 1))], 3),
    }
    print("| metric | value |\n|---|---|")
    for key, value in result.items():
        print(f"| {key} | {value} |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2)


def push_main(args):
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from bench.seed import generate
    from sikesal.complaints.models import Complaint
    from sikesal.integrations.lapor import masters, outbound
    from sikesal.integrations.lapor.models import Link, Outbox, RemoteFollowup, SyncState
    from tests.lapor.conftest import Sim, start_simulator

    Complaint.objects.all().delete()
    generate(args.push, progress=False)
    proc, url = start_simulator(tempfile.mkdtemp(prefix="lapor-sim-bench-"), "--tick-interval", "0")
    sim = Sim(url)
    settings.LAPOR_BASE_URL = url
    settings.LAPOR_AUTH_SECRET, settings.LAPOR_TOKEN = "Bearer sim-secret", "sim-token"
    settings.LAPOR_SYNC_MAX_SECONDS = 24 * 3600
    # An unverified report's create waits up to 30 minutes for its anonim/rahasia to be final (outbound._queue):
    # here every row is measured going out, none waits.
    settings.LAPOR_FLAGS_HOLD_SECONDS = 0
    runs, rows = [], 0
    try:
        for run in range(args.runs):
            sim.post("/__sim/reset")
            sim.post("/__sim/config", {"admin_delay": 0, "citizen_rate": 0})
            sim.faults()
            for model in (RemoteFollowup, Link, Outbox, SyncState):
                model.objects.all().delete()
            # the simulator numbers from the start again: the reports forget their twins of the last run
            Complaint.objects.update(lapor_complaint_id=None, lapor_tracking_id="")
            masters.sync_masters()
            while outbound.backfill(limit=5000):
                pass
            rows = Outbox.objects.filter(status="pending").count()
            sim.faults(slow_rate=1.0, slow_seconds=args.latency)
            start = time.perf_counter()
            while Outbox.objects.filter(status="pending", next_attempt_at__lte=timezone.now()).exists():
                outbound.push()
            runs.append(time.perf_counter() - start)
            done = Outbox.objects.filter(status="done").count()
            assert done == rows, (done, rows, Outbox.objects.exclude(status="done").values("status", "last_error")[:5])
            print(f"push run {run + 1}: {rows / runs[-1]:.1f} rows/s", flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    result = {
        "db": connection.vendor,
        "reports": args.push,
        "outbox_rows": rows,
        "latency_s": args.latency,
        "concurrency": getattr(settings, "LAPOR_PUSH_CONCURRENCY", 1),
        "lapor_push_rps": round(rows / statistics.median(runs), 1),
        "push_per_run": [round(rows / t, 1) for t in runs],
    }
    print(json.dumps(result, indent=2))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2)


if __name__ == "__main__":
    main()
