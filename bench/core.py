"""Core lifecycle benchmark: submissions, transitions and the deadline sweep, without HTTP.

    .venv/bin/python -m bench.core [--reports 2000] [--runs 3] [--bulk-only] [--json FILE]

Uses a fresh SQLite file in a temporary data dir, or the PostgreSQL database in DATABASE_URL (which it
empties of complaints first). Prints the median of the runs.

sweep_bulk_seconds is the worst case of issue #19, measured: N reports seeded fast (bench.seed; about 38%
open), every open one made due at once, and the set-based sweep run over all of them. --bulk-only skips
the lifecycle part (submitting N reports one by one takes long at 400,000).
"""

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time


def setup_django(throwaway=True):
    """Django on the benchmark's database: a fresh SQLite file in a temporary directory (`throwaway`,
    unless DATABASE_URL names one), or the database the server uses (SIKESAL_DATA_DIR, DATABASE_URL)."""
    if throwaway and not os.environ.get("DATABASE_URL"):
        os.environ["SIKESAL_DATA_DIR"] = tempfile.mkdtemp(prefix="sikesal-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sikesal.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from sikesal.catalogue.seed import load_catalogue

    load_catalogue()


def one_run(n):
    from django.core.management import call_command
    from django.db import connection

    from sikesal.accounts.models import User
    from sikesal.catalogue.models import Area, Institution, Service
    from sikesal.complaints import lifecycle, submission
    from sikesal.complaints.policy import Actor
    from sikesal.complaints.sweep import sweep_each

    _empty()
    admin, _ = User.objects.get_or_create(username="bench-admin", defaults={"role": "admin"})
    services = list(Service.objects.filter(extra_questions=[]).values_list("code", flat=True))
    areas = list(Area.objects.filter(level="kelurahan").values_list("code", flat=True))
    opd = Institution.objects.get(short_name="Dinas PUPR")
    system = Actor.system("bench")
    t0 = dt.datetime(2026, 11, 2, 2, tzinfo=dt.UTC)

    start = time.perf_counter()
    ids = []
    for i in range(n):
        result = submission.submit(
            system,
            {
                "service": services[i % len(services)],
                "area": areas[i % len(areas)],
                "title": f"Laporan uji {i}",
                "body": "Jalan berlubang di depan rumah, mohon segera diperbaiki oleh dinas terkait.",
                "latitude": -1.61,
                "longitude": 103.61,
                "reporter": {"name": "Warga", "phone": "081234567890"},
            },
            now=t0,
        )
        ids.append(result.complaint.pk)
    submit_s = time.perf_counter() - start

    # The worker's share: every report's side effects (routing suggestion, the SMS receipt), in batches.
    start = time.perf_counter()
    call_command("worker", batch=True, no_scheduler=True, interval=0, verbosity=0)
    effects_s = time.perf_counter() - start

    actor = Actor.for_user(admin)
    start = time.perf_counter()
    for pk in ids:
        lifecycle.transition(pk, "verify", actor, now=t0 + dt.timedelta(hours=1), institution=opd.pk)
    verify_s = time.perf_counter() - start

    start = time.perf_counter()
    result = sweep_each(now=t0 + dt.timedelta(days=30))
    sweep_s = time.perf_counter() - start
    return {
        "db": connection.vendor,
        "reports": n,
        "submit_per_s": n / submit_s,
        "side_effects_per_s": n / effects_s,
        "transition_per_s": n / verify_s,
        "sweep_seconds": sweep_s,
        "sweep_marked": result.overdue_marked,
        "sweep_ms_per_report": 1000 * sweep_s / max(1, result.examined),
    }


def _empty():
    from django_tasks_db.models import DBTaskResult

    from sikesal.complaints.models import Complaint, Event, PendingEffect
    from sikesal.integrations.lapor.models import Outbox

    Outbox.objects.all()._raw_delete(Outbox.objects.db)
    PendingEffect.objects.all()._raw_delete(PendingEffect.objects.db)  # they point at the events
    Event.objects.all()._raw_delete(Event.objects.db)
    Complaint.co_institutions.through.objects.all()._raw_delete(Event.objects.db)
    Complaint.objects.all().delete()
    DBTaskResult.objects.all().delete()


def bulk_run(n):
    """Every open report due at once, swept by the set-based path: measured, not projected."""
    from django.db import connection
    from django.db.models import F
    from django.utils import timezone

    from bench.seed import generate
    from sikesal.complaints.models import Complaint, Event
    from sikesal.complaints.states import OPEN_STATES, Status
    from sikesal.complaints.sweep import sweep

    _empty()
    generate(n, progress=False)
    # The seed leaves the reporter's deadline unset: a followed-up report waits 10 working days for the
    # reporter, long passed here, so the sweep closes it (and queues its SP4N-LAPOR! follow-up).
    Complaint.objects.filter(status=Status.FOLLOWED_UP).update(
        reporter_due_at=F("status_changed_at") + dt.timedelta(days=14)
    )
    now = timezone.now()
    due = Complaint.objects.filter(status__in=OPEN_STATES).update(next_sweep_at=now)
    events_before = Event.objects.count()
    start = time.perf_counter()
    result = sweep(now=now)
    seconds = time.perf_counter() - start
    return {
        "db": connection.vendor,
        "sweep_bulk_reports": n,
        "sweep_bulk_due": due,
        "sweep_bulk_seconds": seconds,
        "sweep_bulk_events": Event.objects.count() - events_before,
        "sweep_bulk_closed": result.closed,
        "sweep_bulk_ms_per_report": 1000 * seconds / max(1, due),
        "sweep_bulk_path": "bulk" if result.bulk else "one-by-one",
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--bulk-only", action="store_true", help="only the set-based sweep (sweep_bulk_seconds)")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    setup_django()
    runs = [{**({} if args.bulk_only else one_run(args.reports)), **bulk_run(args.reports)} for _ in range(args.runs)]
    summary = {
        k: (statistics.median(r[k] for r in runs) if isinstance(runs[0][k], float) else runs[0][k]) for k in runs[0]
    }
    print(f"| metric | median of {args.runs} runs |")
    print("|---|---|")
    for key, value in summary.items():
        print(f"| {key} | {value:.2f} |" if isinstance(value, float) else f"| {key} | {value} |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"runs": runs, "median": summary}, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
