"""The retention job on many closed reports past their period (issue #28: 1,000,000 in 10 minutes or less on
SQLite on this machine).

    .venv/bin/python -m bench.retention [--reports 1000000] [--json bench/results/<date>-retention-....json]

A fresh SQLite database in a temporary directory is seeded set-based (INSERT … SELECT from a recursive
CTE, so seeding is not what is measured): N reports closed 800 to 1200 days ago, each with its reporter
(name, phone, e-mail), its submit event and the e-mail notification of it; one in ten names the reporter,
their phone number and e-mail address in its description, so the masking writes. Then `retention.apply()`
runs as the daily job would (its time is `job_seconds`), and once more to show a second run finds nothing
(`second_run_seconds`). The checks after the run fail the benchmark when anything was left.
"""

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

SEED_REPORTS = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %%s),
kinds(k, service_id, institution_id, area_id) AS (VALUES %(kinds)s)
INSERT INTO complaints_complaint (
    tracking_number, secret_hash, type, classification, title, body, address, answers, channel, is_anonymous,
    is_secret, status, version, submitted_at, status_changed_at, verified_at, closed_at, overdue_marks,
    rating_comment, reopen_count, lapor_tracking_id, created_at, updated_at, ombudsman_taken_over, service_id,
    institution_id, area_id, rating
)
SELECT
    'RET-' || i, printf('%%064x', i), 'pengaduan', '', 'Lampu jalan mati nomor ' || i,
    CASE WHEN i %% 10 = 0
        THEN 'Saya Budi Santoso, hubungi 0812' || printf('%%08d', i) || ' atau warga' || i || '@example.com. '
        ELSE '' END || 'Tiga lampu PJU mati di gang sebelah sekolah, gelap sekali kalau malam.',
    '', '{}', 'web', i %% 3 = 0, i %% 10 = 0, 'closed_reporter', 3,
    datetime('now', '-' || (1200 - i %% 400) || ' days'), datetime('now', '-' || (1180 - i %% 400) || ' days'),
    datetime('now', '-' || (1199 - i %% 400) || ' days'), datetime('now', '-' || (1180 - i %% 400) || ' days'),
    '[]', '', 0, '', datetime('now'), datetime('now'), 0, service_id, institution_id, area_id, 1 + i %% 5
FROM n JOIN kinds ON kinds.k = i %% %%s
"""
SEED_REPORTERS = """
INSERT INTO complaints_reporter (complaint_id, name, phone, email, nik, language)
SELECT id, 'Budi Santoso', '0812' || printf('%08d', id), 'warga' || id || '@example.com', '', 'id'
FROM complaints_complaint
"""
SEED_EVENTS = """
INSERT INTO complaints_event (
    complaint_id, created_at, action, actor_role, actor_label, from_status, to_status, visibility, message, payload
)
SELECT id, submitted_at, 'submit', 'system', '', '', 'received', 'public', '', '{}' FROM complaints_complaint
"""
SEED_NOTIFICATIONS = """
INSERT INTO notify_notification (event_id, channel, "to", state, attempts, last_error, language)
SELECT id, 'email', 'warga' || complaint_id || '@example.com', 'sent', 1, '', 'id' FROM complaints_event
"""


def seed(n):
    """N closed reports with their reporters, events and notifications, set-based. Returns seconds."""
    from django.db import connection, transaction

    from sikesal.catalogue.models import Area, Service

    services = list(Service.objects.filter(default_institution__isnull=False).values_list("pk", "default_institution"))
    areas = list(Area.objects.filter(level="kelurahan").values_list("pk", flat=True))
    kinds = [(k, *services[k % len(services)], areas[k % len(areas)]) for k in range(max(len(services), len(areas)))]
    values = ", ".join(["(%s, %s, %s, %s)"] * len(kinds))
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        params = [n, *(v for kind in kinds for v in kind), len(kinds)]
        cursor.execute(SEED_REPORTS % {"kinds": values}, params)
        for sql in (SEED_REPORTERS, SEED_EVENTS, SEED_NOTIFICATIONS):
            cursor.execute(sql)
    return time.perf_counter() - started


def left_over():
    """What the run should have removed and did not (all zero after a good run)."""
    from sikesal.complaints.models import Complaint, Reporter
    from sikesal.integrations.notify.models import Notification

    return {
        "reports_not_anonymised": Complaint.objects.filter(anonymised_at__isnull=True).count(),
        "reporters_with_identity": Reporter.objects.exclude(name="", phone="", email="").count(),
        "notifications_with_address": Notification.objects.exclude(to__startswith="anon:").count(),
        "bodies_with_phone": Complaint.objects.filter(body__contains="0812").count(),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--json", help="where to write the figures (default: bench/results/<date>-retention-…)")
    args = parser.parse_args(argv)
    os.environ.pop("DATABASE_URL", None)  # SQLite: the target is stated for it
    from bench.core import setup_django

    setup_django(throwaway=True)
    from django.db import connection

    from sikesal.privacy import retention

    load_before = os.getloadavg()
    seed_seconds = seed(args.reports)
    print(f"seeded {args.reports:,} closed reports in {seed_seconds:.1f} s", file=sys.stderr)
    started = time.perf_counter()
    result = retention.apply()
    job_seconds = time.perf_counter() - started
    started = time.perf_counter()
    second = retention.apply()
    second_seconds = time.perf_counter() - started
    remaining = left_over()
    figures = {
        "date": dt.datetime.now(dt.UTC).date().isoformat(),
        "db": f"sqlite {connection.Database.sqlite_version}",
        "reports": args.reports,
        "seed_seconds": round(seed_seconds, 1),
        "job_seconds": round(job_seconds, 1),
        "reports_per_second": round(result["reports"] / job_seconds),
        "second_run_seconds": round(second_seconds, 1),
        "changed": result,
        "second_run_changed": second,
        "left_over": remaining,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()],
        },
    }
    ok = result["reports"] == args.reports and not any(remaining.values()) and not any(second.values())
    figures["ok"] = ok
    out = args.json or Path(__file__).parent / "results" / f"{figures['date']}-retention-sqlite-{args.reports}.json"
    Path(out).write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    if not ok:
        sys.exit("the retention run left personal data behind (left_over) or did not take every report")


if __name__ == "__main__":
    main()
