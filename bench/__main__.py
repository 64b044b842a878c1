"""The benchmark suite: one command, one table, one JSON file (bench/README.md explains every figure).

    .venv/bin/python -m bench [--quick] [--db sqlite|postgresql] [--reports N] [--seconds S] [--runs R] --json FILE

1. Seeds N reports with their events (bench.seed; 1,000,000 by default, 100,000 with --quick) into a
   fresh database: SQLite in a temp dir, or PostgreSQL (DATABASE_URL, else a throw-away server from
   scripts/pg-throwaway), and trains the first routing model on them.
2. Starts the system the production way (`manage.py up`: gunicorn with 2 workers per core and the
   task worker; no simulator) on a loopback port.
3. R times: load over HTTP (wrk when installed, else Python threads; keep-alive, loopback only, bounded
   in time) on a trivial view, the public track page and intake through REST v1 and Open311 POST, with
   every new report matched to one request afterwards; the statistics page; the back-office inbox and
   search through Django's test client; the deadline sweep, idle and with a sample made due.
4. WhatsApp (bench.whatsapp, skipped with --whatsapp-citizens 0): citizens each sending a whole
   conversation through the Cloud API simulator to a server of its own on a fresh database; the figures
   join the table as whatsapp_*.
"""

import argparse
import http.client
import json
import os
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench import wrk

ROOT = Path(__file__).resolve().parents[1]
SWEEP_SAMPLE = 2000


OPEN311_PAGE = "/open311/v2/requests.json?page_size=1000"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(samples, p):
    samples = sorted(samples)
    return samples[int(p * (len(samples) - 1))] if samples else None


BENCH_KEY = "bench-key-0001"


def prepare_database(reports, reuse):
    """Migrate the database Django is configured for and seed `reports` reports into it, unless `reuse` and
    it holds that many already; an API key with no practical limit for the load. Returns the seconds the
    seeding took, or None when the reports were reused."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    from bench.seed import generate
    from sikesal.accounts.models import ApiKey
    from sikesal.catalogue.seed import load_catalogue
    from sikesal.complaints.models import Complaint

    load_catalogue()
    seed_seconds = None if reuse and Complaint.objects.count() >= reports else generate(reports)
    if not ApiKey.objects.filter(name="bench").exists():
        key = ApiKey(name="bench", scopes=["reports:write", "reports:read"], rate_limit_per_minute=10**9)
        key.set_key(BENCH_KEY)
        key.save()
    return seed_seconds


def server_env(port, web_workers):
    """The environment `manage.py up` runs in for a measurement: no simulator, the per-address limits far
    above what the load sends from one address, and the daily jobs (digest, retraining) kept out of the
    measured window; the sweep, the statistics refresh and the event side effects run as in production."""
    from django.conf import settings

    env = dict(os.environ, SIKESAL_PORT=str(port), SIKESAL_LAPOR_SIM="0", SIKESAL_WEB_WORKERS=str(web_workers),
               SIKESAL_RATE_TRACK_PER_IP="100000000", SIKESAL_RATE_FILE_PER_IP="100000000",
               SIKESAL_RATE_FILE_PER_PERSON="100000000")  # fmt: skip
    env.pop("LAPOR_BASE_URL", None)
    periodic = {name: spec for name, spec in settings.SIKESAL_PERIODIC.items() if spec["every_seconds"] < 86400}
    env["SIKESAL_PERIODIC"] = json.dumps(periodic)
    return env


def start_server(env, port):
    """`manage.py up` in `env`, once its /healthz answers; returns the process and its base url."""
    import httpx

    proc = subprocess.Popen([sys.executable, "manage.py", "up"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.5)
    return proc, base


def backlog():
    """Events whose side effects wait, and tasks waiting or running (a batch's deliveries)."""
    from django.db.models import Q
    from django.utils import timezone
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult, get_date_max

    from sikesal.complaints import effect_queue

    busy = DBTaskResult.objects.filter(status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING])
    # (a task with no run_after is stored with the latest date; one with a later run_after waits on purpose)
    due = Q(run_after__lte=timezone.now()) | Q(run_after=get_date_max())
    return effect_queue.backlog() + busy.filter(due).count()


def settle(limit=600):
    """Wait until the worker has no task waiting or running: each phase starts on a quiet system,
    not while the worker still files the side effects of the previous one. Returns seconds waited."""
    started = time.perf_counter()
    while backlog() and time.perf_counter() - started < limit:
        time.sleep(1)
    return round(time.perf_counter() - started, 1)


def load(base, seconds, threads, make_request):
    """Run `make_request(client, i)` from `threads` threads for `seconds`; returns rps, p99 ms, errors."""
    import httpx

    latencies, errors, stop = [], [0], time.monotonic() + seconds
    lock = threading.Lock()

    def worker(n):
        with httpx.Client(base_url=base, timeout=30) as client:
            i = 0
            while time.monotonic() < stop:
                start = time.perf_counter()
                try:
                    ok = make_request(client, n * 10_000_000 + i)
                except httpx.HTTPError:
                    ok = False
                elapsed = (time.perf_counter() - start) * 1000
                with lock:
                    latencies.append(elapsed)
                    if not ok:
                        errors[0] += 1
                i += 1

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    wall = time.perf_counter() - started
    return {"rps": round(len(latencies) / wall, 1), "p99_ms": round(percentile(latencies, 0.99), 1),
            "requests": len(latencies), "errors": errors[0]}  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="100,000 reports, 15 s per load phase")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--reports", type=int)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--python-load", action="store_true", help="GET phases from Python threads even if wrk is installed"
    )
    parser.add_argument("--runs", type=int, default=1, help="measure N times on the seeded data; medians")
    parser.add_argument("--json", required=True)
    parser.add_argument(
        "--sustained-seconds", type=float, help="length of the sustained intake run (default 300; --quick 60)"
    )
    parser.add_argument("--sustained-share", type=float, default=0.8, help="its rate, as a share of the peak intake")
    parser.add_argument(
        "--data-dir",
        help="SQLite only: keep the seeded database in this directory and reuse it when it already holds the reports",
    )
    parser.add_argument(
        "--whatsapp-citizens", type=int, help="citizens in the WhatsApp run (default 500; --quick 150); 0 skips it"
    )
    parser.add_argument(
        "--lapor-push", type=int,
        help="reports pushed to SP4N-LAPOR! answering in 50 ms (default 1000; --quick 300); 0 skips it",
    )  # fmt: skip
    args = parser.parse_args()
    reports = args.reports or (100_000 if args.quick else 1_000_000)
    if args.whatsapp_citizens is None:
        args.whatsapp_citizens = 150 if args.quick else 500
    if args.lapor_push is None:
        args.lapor_push = 300 if args.quick else 1000
    seconds = args.seconds or (15 if args.quick else 60)
    args.sustained_seconds = args.sustained_seconds or (60 if args.quick else 300)

    pg_dir = None
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="sikesal-bench-suite-")
    os.environ["SIKESAL_DATA_DIR"] = data_dir
    if args.db == "postgresql" and not os.environ.get("DATABASE_URL"):
        # Durable settings (fsync on), as in production; the test suite's throw-away servers run without.
        pg_dir = subprocess.run(
            [str(ROOT / "scripts/pg-throwaway"), "start"], check=True, capture_output=True, text=True,
            env=dict(os.environ, PG_THROWAWAY_DURABLE="1"),
        ).stdout.strip()  # fmt: skip
        os.environ["DATABASE_URL"] = (Path(pg_dir) / "url").read_text().strip()
    elif args.db == "sqlite":
        os.environ.pop("DATABASE_URL", None)
    try:
        try:
            result = run(args, reports, seconds, data_dir, server_holder.append)
        finally:
            for proc in server_holder:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        result.update(whatsapp(args.whatsapp_citizens))
        result.update(lapor_push(args.lapor_push))
    finally:
        if pg_dir:
            subprocess.run([str(ROOT / "scripts/pg-throwaway"), "stop", pg_dir], check=False)
    print("| metric | value |\n|---|---|")
    for key, value in result.items():
        if key != "per_run":
            print(f"| {key} | {value} |")
    Path(args.json).write_text(json.dumps(result, indent=2))


server_holder = []


def lapor_push(reports):
    """bench.lapor --push in a process of its own (the simulator answering each call in 50 ms, 3 runs), on a
    fresh SQLite database or the same PostgreSQL server: `lapor_push_rps`, outbox rows sent a second."""
    if not reports:
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "lapor.json"
        env = {k: v for k, v in os.environ.items() if k != "SIKESAL_DATA_DIR"}
        command = [sys.executable, "-m", "bench.lapor", "--push", str(reports), "--runs", "3", "--latency", "0.05",
                   "--json", str(out)]  # fmt: skip
        subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        figures = json.loads(out.read_text())
    return {"lapor_push_rps": figures["lapor_push_rps"], "lapor_push_reports": reports}


def whatsapp(citizens):
    """bench.whatsapp in a process of its own (it starts its own server against the simulator), on a fresh
    SQLite database or the same PostgreSQL server; its figures prefixed whatsapp_."""
    if not citizens:
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "whatsapp.json"
        env = {k: v for k, v in os.environ.items() if k != "SIKESAL_DATA_DIR"}
        command = [sys.executable, "-m", "bench.whatsapp", "--citizens", str(citizens), "--json", str(out)]
        subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        figures = json.loads(out.read_text())
    return {f"whatsapp_{k}": v for k, v in figures.items() if k not in ("db", "machine")}


def run(args, reports, seconds, data_dir, keep):
    sustained_seconds = args.sustained_seconds
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sikesal.settings")
    import django

    django.setup()
    import httpx
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from sikesal.accounts.models import User
    from sikesal.complaints.models import Complaint
    from sikesal.complaints.states import OPEN_STATES
    from sikesal.complaints.sweep import sweep, sweep_each
    from sikesal.integrations.notify.models import Notification
    from sikesal.portal.statistics import compute as compute_statistics
    from sikesal.routing.service import train_and_activate

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    seed_seconds = prepare_database(reports, reuse=bool(args.data_dir))
    reused = seed_seconds is None
    seed_rss_mb = round(max(rss0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024, 1)
    tracking = list(Complaint.objects.filter(verified_at__isnull=False, is_secret=False)
                    .values_list("tracking_number", flat=True)[:2000])  # fmt: skip

    # The first routing model, trained as the daily job would on the reports just seeded (its time is the
    # "training on 100,000 reports" figure); the daily job itself is kept out of the measured window.
    started = time.perf_counter()
    routing = {"routing_train_seconds": "reused"}
    if not reused:
        version = train_and_activate()
        routing = {"routing_train_seconds": round(time.perf_counter() - started, 1),
                   "routing_train_examples": version.examples, "routing_classes": version.classes}  # fmt: skip

    port = free_port()
    proc, base = start_server(server_env(port, 2 * os.cpu_count()), port)
    keep(proc)

    settings.ALLOWED_HOSTS = ["*"]
    admin, _ = User.objects.get_or_create(username="bench-admin", defaults={"role": "admin"})
    client = Client()
    client.force_login(admin)
    use_wrk = wrk.available() and not args.python_load

    def intake(c, i):
        if i % 2:
            r = c.post("/open311/v2/requests.json", data={"api_key": BENCH_KEY, "service_code": "sampah",
                       "description": f"Sampah menumpuk di TPS dekat pasar nomor {i}, sudah tiga hari tidak diangkut.",
                       "lat": "-1.6101", "long": "103.6131"})  # fmt: skip
            return r.status_code in (200, 201)
        r = c.post("/api/v1/reports", headers={"X-API-Key": BENCH_KEY},
                   json={"service": "lampu-jalan", "title": f"Lampu jalan mati {i}",
                         "body": "Tiga lampu PJU mati di Jl. Sultan Agung, gelap sekali kalau malam.",
                         "area": "15.71.01.1001"})  # fmt: skip
        return r.status_code == 201

    def timed(url, n=20):
        samples = []
        for _ in range(n):
            start = time.perf_counter()
            client.get(url)
            samples.append((time.perf_counter() - start) * 1000)
        return percentile(samples, 0.95)

    def sustained_run(rate, length):
        """Intake at a fixed `rate` for `length` seconds while the worker runs (Python threads on a
        schedule: wrk cannot hold a rate). Each report leaves an e-mail address, so its receipt is a
        real notification; the lag is filing to the receipt sent."""
        marker = f"sus{int(time.time())}"
        step, started = 1.0 / rate, time.monotonic() + 0.5
        stop = started + length
        counter, lock, answered = [0], threading.Lock(), [0]

        def sender():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            while True:
                with lock:
                    k = counter[0]
                    counter[0] += 1
                at = started + k * step
                if at >= stop:
                    return
                time.sleep(max(0.0, at - time.monotonic()))
                body = json.dumps({"service": "lampu-jalan", "title": f"Lampu jalan mati {marker}-{k}",
                                   "body": "Tiga lampu PJU mati di Jl. Sultan Agung, gelap sekali kalau malam.",
                                   "area": "15.71.01.1001", "reporter": {"email": f"warga{k}@example.com"}})  # fmt: skip
                try:
                    conn.request("POST", "/api/v1/reports", body,
                                 {"Content-Type": "application/json", "X-API-Key": BENCH_KEY})  # fmt: skip
                    response = conn.getresponse()
                    response.read()
                    if response.status == 201:
                        with lock:
                            answered[0] += 1
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

        pool = [threading.Thread(target=sender) for _ in range(32)]
        for t in pool:
            t.start()
        samples = []
        while time.monotonic() < stop:
            samples.append(backlog())
            time.sleep(1)
        for t in pool:
            t.join()
        ended = time.monotonic()
        backlog_end = backlog()
        drained = settle()
        filed = Complaint.objects.filter(title__contains=marker)
        submitted = dict(filed.values_list("pk", "submitted_at"))
        receipts = Notification.objects.filter(
            event__complaint__in=filed, event__action="submit", sent_at__isnull=False
        )
        lags = [
            (sent - submitted[pk]).total_seconds() for pk, sent in receipts.values_list("event__complaint", "sent_at")
        ]
        return {
            "sustained_target_rate": round(rate, 1),
            "sustained_rate": round(answered[0] / (ended - started), 1),
            "sustained_seconds": length,
            "sustained_filed": len(submitted),
            "sustained_backlog_max": max(samples, default=0),
            "sustained_backlog_end": backlog_end,
            "sustained_drain_seconds": drained,
            "sustained_receipts_missing": len(submitted) - len(lags),
            "sustained_receipt_lag_p50_s": round(percentile(lags, 0.5), 2) if lags else None,
            "sustained_receipt_lag_p99_s": round(percentile(lags, 0.99), 2) if lags else None,
        }

    def measure(run_index):
        settle()
        if use_wrk:
            bare = wrk.load(base, ["/healthz"], seconds)
            track = wrk.load(base, [f"/lacak/{t}/" for t in tracking], seconds)
        else:
            bare = load(base, seconds, args.threads, lambda c, i: c.get("/healthz").status_code == 200)
            track = load(base, seconds, args.threads,
                         lambda c, i: c.get(f"/lacak/{tracking[i % len(tracking)]}/").status_code == 200)  # fmt: skip
        # What partner apps repeat most (issue #31): the service list, one report by id, and the stack's
        # floor, a 404 for an API path (measured the same way as the bare view).
        if use_wrk:
            services = wrk.load(base, ["/open311/v2/services.json"], seconds)
            by_ids = [f"/open311/v2/requests/{t}.json" for t in tracking]
            # A partner polls the same reports again and again: measured once every process has answered
            # each of them (its kept answer built), the first pass reported apart.
            by_id_first = wrk.load(base, by_ids, seconds)
            by_id = wrk.load(base, by_ids, seconds)
            not_found = wrk.load(base, ["/open311/v2/tidak-ada.json"], seconds, expect_status=404)
        else:
            services = load(
                base, seconds, args.threads, lambda c, i: c.get("/open311/v2/services.json").status_code == 200
            )
            by_id = by_id_first = load(base, seconds, args.threads,
                         lambda c, i: c.get(f"/open311/v2/requests/{tracking[i % len(tracking)]}.json").status_code == 200)  # fmt: skip
            not_found = load(
                base, seconds, args.threads, lambda c, i: c.get("/open311/v2/tidak-ada.json").status_code == 404
            )
        # A partner app's read (issue #19.6): the Open311 list at its largest page.
        page_rows = len(httpx.get(base + OPEN311_PAGE, timeout=60).json())
        if use_wrk:
            open311 = wrk.load(base, [OPEN311_PAGE], seconds)
        else:
            open311 = load(base, seconds, args.threads, lambda c, i: c.get(OPEN311_PAGE).status_code == 200)
        # Open311 POST alone (the intake phase below mixes it with REST).
        if use_wrk:
            open311_post = wrk.intake(base, BENCH_KEY, f"o311post{int(time.time())}", seconds, open311_only=True)
        else:
            open311_post = load(base, seconds, args.threads, lambda c, i: intake(c, 2 * i + 1))
        settle()
        before = Complaint.objects.count()
        last_pk = Complaint.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        if use_wrk:
            marker = f"bench{int(time.time())}"
            intake_result = wrk.intake(base, BENCH_KEY, marker, seconds)
            time.sleep(2)  # the requests wrk cut off at the end may still be committing
            texts = list(Complaint.objects.filter(pk__gt=last_pk).values_list("channel", "title", "body"))
            found = [m for _, title, body in texts for m in re.findall(marker + r"-\d+", f"{title} {body}")[:1]]
            strays = [t for t in texts if marker not in f"{t[1]} {t[2]}"][:3]
            filed = Complaint.objects.count() - before
            # Every answered request filed exactly one report. wrk drops the requests still in flight when
            # time is up (at most one per connection): the server may have filed those without wrk hearing.
            inflight = filed - intake_result["accepted"]
            exact = len(found) == len(set(found)) == filed and 0 <= inflight <= wrk.CONNECTIONS
            duplicates, unmarked = len(found) - len(set(found)), filed - len(found)
        else:
            intake_result = load(base, seconds, args.threads, intake)
            filed = Complaint.objects.count() - before
            inflight = duplicates = unmarked = 0
            strays = []
            exact = filed == intake_result["requests"] - intake_result["errors"]

        # What the worker does with the reports just filed (routing suggestion, notifications, outbox).
        backlog_seconds = settle()
        steady = sustained_run(max(1.0, intake_result["rps"] * args.sustained_share), sustained_seconds)
        # The public page serves figures the worker keeps computed; stats_compute_ms is one computation.
        stats = []
        with httpx.Client(base_url=base, timeout=60) as c:
            for _ in range(20):
                start = time.perf_counter()
                c.get("/statistik/")
                stats.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        compute_statistics()
        stats_compute_ms = (time.perf_counter() - start) * 1000

        inbox = timed("/kantor/?antrian=terlambat&layanan=jalan-rusak&hal=3")
        search = timed("/kantor/?antrian=semua&q=pipa bocor")

        # The sweep, twice. As it runs every 5 minutes: with nothing due it reads an index range, not the
        # open reports (sweep_idle_ms). Worst case, every open report due at once: each costs a few
        # lifecycle events (the escalation rungs), so a fresh sample is made due and swept, and the time
        # for all open reports is projected from it (sweep_seconds).
        start = time.perf_counter()
        sweep_each()
        sweep_idle_ms = (time.perf_counter() - start) * 1000
        open_reports = Complaint.objects.filter(status__in=OPEN_STATES).count()
        sample = list(
            Complaint.objects.filter(status__in=OPEN_STATES)
            .order_by("pk")
            .values_list("pk", flat=True)[run_index * SWEEP_SAMPLE : (run_index + 1) * SWEEP_SAMPLE]
        )
        Complaint.objects.filter(pk__in=sample).update(next_sweep_at=timezone.now())
        start = time.perf_counter()
        swept = sweep_each()  # the one-report path, as this figure has always measured
        sample_seconds = time.perf_counter() - start
        return {
            "bare_view_rps": bare["rps"],
            "track_rps": track["rps"],
            "track_p99_ms": track["p99_ms"],
            "track_errors": track["errors"],
            "open311_services_rps": services["rps"],
            "open311_request_rps": by_id["rps"],
            "open311_request_first_pass_rps": by_id_first["rps"],
            "open311_request_errors": by_id["errors"],
            "open311_post_rps": open311_post["rps"],
            "not_found_rps": not_found["rps"],
            "open311_page_rows": page_rows,
            "open311_pages_per_s": open311["rps"],
            "open311_page_p99_ms": open311["p99_ms"],
            "open311_rows_per_s": round(open311["rps"] * page_rows),
            "intake_rps": intake_result["rps"],
            "intake_p99_ms": intake_result["p99_ms"],
            "intake_errors": intake_result["errors"],
            "intake_exact_count": exact,
            "intake_filed": filed,
            "intake_unanswered_at_stop": inflight,
            "intake_duplicates": duplicates,
            "intake_unmarked": unmarked,
            "intake_unmarked_examples": strays,
            "intake_worker_backlog_seconds": backlog_seconds,
            **steady,
            "inbox_p95_ms": round(inbox, 1),
            "search_p95_ms": round(search, 1),
            "stats_p95_ms": round(percentile(stats, 0.95), 1),
            "stats_compute_ms": round(stats_compute_ms, 1),
            "open_reports": open_reports,
            "sweep_idle_ms": round(sweep_idle_ms, 1),
            "sweep_seconds": round(sample_seconds * open_reports / max(1, len(sample)), 1),
            "sweep_ms_per_report": round(sample_seconds * 1000 / max(1, len(sample)), 2),
            "sweep_events": swept.overdue_marked + swept.closed + swept.archived,
        }

    runs = []
    for run_index in range(args.runs):
        runs.append(measure(run_index))
        print(f"run {run_index + 1}/{args.runs}: {json.dumps(runs[-1])}", file=sys.stderr, flush=True)

    def middle(key):
        values = [r[key] for r in runs if r[key] is not None]  # e.g. no receipt lag when no receipt went
        if not values:
            return None
        if isinstance(values[0], bool):
            return all(values)
        if isinstance(values[0], int | float):
            return round(statistics.median(values), 1)
        return values[-1]

    medians = {key: middle(key) for key in runs[0]}

    # The set-based sweep's worst case, measured once after the runs (it changes the data): every open
    # report due at once, swept by the path the scheduler takes when that many are due (issue #19).
    settle()
    now = timezone.now()
    due = Complaint.objects.filter(status__in=OPEN_STATES).update(next_sweep_at=now)
    start = time.perf_counter()
    bulk = sweep(now=now)
    bulk_sweep = {
        "sweep_bulk_seconds": round(time.perf_counter() - start, 1),
        "sweep_bulk_due": due,
        "sweep_bulk_events": bulk.overdue_marked + bulk.closed + bulk.archived,
    }
    return {
        "db": connection.vendor,
        "reports": reports,
        "machine": f"{os.cpu_count()} cores, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') >> 30} GiB",
        "runs": args.runs,
        "seed_seconds": round(seed_seconds, 1) if seed_seconds else "reused",
        "seed_peak_rss_mb": seed_rss_mb,
        "bare_insert_rps": round(reports / seed_seconds, 1) if seed_seconds else None,
        **routing,
        **medians,
        **bulk_sweep,
        "get_load_tool": "wrk" if use_wrk else "python",
        "load_seconds_per_phase": seconds,
        "per_run": runs,
    }


if __name__ == "__main__":
    main()
