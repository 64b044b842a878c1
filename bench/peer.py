"""SIKESAL side by side with a peer Open311 server (issue #31): 6aika/issue-reporting, a Django GeoReport v2
server, on the same reports, the same database engine and the same server stack.

    .venv/bin/python -m bench.peer --peer-src PATH [--reports N] [--seconds S] [--runs R] [--no-tuned] [--json FILE]

PATH is a checkout of github.com/6aika/issue-reporting (this script never downloads it). The peer gets a
virtualenv of its own (bench/peer-requirements.txt, from PyPI) and, because it imports GeoDjango, the GDAL
and GEOS libraries (Debian: `apt-get install libgdal32 libgeos-c1v5`; its SQLite setup stores points as
text, GEOS only parses a POSTed lat/long).

1. Seeds N reports into a fresh SIKESAL SQLite database (bench.seed, as `python -m bench` does).
2. Builds the peer's SQLite database with its own migrations and copies the reports into it row for row:
   its services are SIKESAL's catalogue (same ids and codes, the names in its one language, Indonesian),
   its requests SIKESAL's reports with the same ids and numbers and what SIKESAL's Open311 publishes of
   each (description, lat/long, status, status notes, agency and times; nothing more for a report it
   shows only minimally, and rahasia reports hidden from lists). The "tuned" peer is a copy of that
   database in WAL mode, served with persistent connections (CONN_MAX_AGE=None).
3. Starts SIKESAL (`manage.py up`: gunicorn and the task worker) and each peer (gunicorn) with 2 sync
   workers, the peer's Open311 root at /open311/v2/ so every path is the same on all servers.
4. R times, each call on each server in turn (the servers' order rotating from run to run; SIKESAL's
   worker idle before every phase): wrk, 16 connections, S seconds, on POST requests.json, the list
   requests.json?page_size=100, services.json, requests/{id}.json over up to 2,000 random ids of reports
   both publish in full (a first pass, reported apart, then the measured one: a partner's steady state), and an unknown path (404). Medians of the rates, errors summed.

The peer is configured only through its settings (an overlay importing cfh.settings, and environment
variables it reads): time zone WIB, its language Indonesian, its API root, the database and CONN_MAX_AGE.
"""

import argparse
import ctypes.util
import datetime as dt
import json
import os
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import wrk
from bench.__main__ import BENCH_KEY, ROOT, free_port, prepare_database, server_env, settle, start_server

REQUIREMENTS = ROOT / "bench" / "peer-requirements.txt"
WORKERS = 2
IDS = 2000
SERVERS = ("sikesal", "peer", "peer_tuned")
# (key, what the table calls it, path or None for the POST); the POST comes last in a run: it adds reports.
CALLS = (
    ("page", "requests.json, 100 rows", "/open311/v2/requests.json?page_size=100"),
    ("services", "services.json", "/open311/v2/services.json"),
    # A partner polls the same reports again and again: a first pass over the ids (reported apart), then the
    # measured one, as `python -m bench` does; the same for every server (the peer's page cache warms too).
    ("by_id_first", "requests/{id}.json, first pass", None),
    ("by_id", "requests/{id}.json", None),
    ("not_found", "a 404", "/open311/v2/tidak-ada.json"),
    ("post", "POST requests.json", None),
)
# The peer's own settings as they are, and only what this comparison needs changed.
SETTINGS_OVERLAY = """import os

from cfh.settings import *  # noqa: F401,F403

TIME_ZONE = "Asia/Jakarta"  # datetimes in WIB, as SIKESAL answers them
_age = os.environ["PEER_BENCH_CONN_MAX_AGE"]
DATABASES["default"]["CONN_MAX_AGE"] = None if _age == "persistent" else int(_age)  # noqa: F405
"""
POST_CHECK = {"api_key": BENCH_KEY, "service_code": "sampah", "lat": "-1.6101", "long": "103.6131",
              "description": "Sampah menumpuk di TPS dekat pasar, sudah tiga hari tidak diangkut."}  # fmt: skip


def missing_libraries():
    return [name for name in ("gdal", "geos_c") if ctypes.util.find_library(name) is None]


def peer_python(venv):
    """The peer's virtualenv at `venv`, made (or remade) when it does not hold bench/peer-requirements.txt."""
    python = venv / "bin" / "python"
    wanted = REQUIREMENTS.read_text()
    stamp = venv / "bench-peer-requirements.txt"
    if not (python.exists() and stamp.exists() and stamp.read_text() == wanted):
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "-r", str(REQUIREMENTS)], check=True)  # fmt: skip
        stamp.write_text(wanted)
    return python


def peer_commit(src, given):
    if given:
        return given
    found = subprocess.run(["git", "-C", str(src), "rev-parse", "HEAD"], capture_output=True, text=True)
    return found.stdout.strip() if found.returncode == 0 else "unknown (pass --peer-commit)"


def peer_env(src, overlay_dir, db, persistent):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SIKESAL_", "DATABASE_", "VIRTUAL_"))}
    env.update(
        PYTHONPATH=f"{overlay_dir}{os.pathsep}{src}",
        DJANGO_SETTINGS_MODULE="peer_bench_settings",
        DATABASE_URL=f"sqlite:///{db}",
        SECRET_KEY="peer-bench-not-secret",
        LANGUAGES="id",
        ISSUES_GEOREPORT_API_ROOT="open311/v2/",
        PEER_BENCH_CONN_MAX_AGE="persistent" if persistent else "0",
    )
    return env


def utc_text(w3c):
    """A W3C datetime as Django stores a datetime in SQLite (UTC, no offset)."""
    if not w3c:
        return None
    return dt.datetime.fromisoformat(w3c).astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def copy_reports(db_path, batch=2000):
    """SIKESAL's catalogue and reports into the peer's tables, row for row; returns how many reports."""
    from django.test import RequestFactory

    from sikesal.api.open311 import records
    from sikesal.catalogue.models import Service
    from sikesal.complaints.models import Complaint

    peer = sqlite3.connect(db_path)
    peer.execute("INSERT INTO issues_jurisdiction (id, identifier, name) VALUES (1, 'default', 'Default')")
    peer.execute("INSERT INTO issues_application (active, identifier, name, key) VALUES (1, 'bench', 'Bench', ?)",
                 [BENCH_KEY])  # fmt: skip
    services = [(s.pk, s.code, bool(s.extra_questions), s.name, s.description, s.keywords, s.group.name)
                for s in Service.objects.select_related("group").order_by("pk")]  # fmt: skip
    if all(code != records.UNCATEGORISED.code for _pk, code, *_ in services):
        u = records.UNCATEGORISED
        services.append((max(s[0] for s in services) + 1, u.code, False, str(u.name), str(u.description), "", ""))
    peer.executemany("INSERT INTO issues_service (id, service_code, metadata, type, location_req) "
                     "VALUES (?, ?, ?, 'realtime', 'coords_or_address')", [s[:3] for s in services])  # fmt: skip
    peer.executemany('INSERT INTO issues_service_translation (master_id, language_code, service_name, '
                     'description, keywords, "group") VALUES (?, \'id\', ?, ?, ?, ?)',
                     [(s[0], *s[3:]) for s in services])  # fmt: skip
    peer.executemany("INSERT INTO issues_service_jurisdictions (service_id, jurisdiction_id) VALUES (?, 1)",
                     [(s[0],) for s in services])  # fmt: skip
    service_ids = {s[1]: s[0] for s in services}
    request = RequestFactory().get("/")
    numbers = list(Complaint.objects.order_by("pk").values_list("tracking_number", flat=True))
    for start in range(0, len(numbers), batch):
        rows = []
        for c in records.by_ids(numbers[start : start + batch]):
            r = records.row(request, c)
            located = r["lat"] is not None and r["long"] is not None
            rows.append((
                c.pk, r["service_request_id"], service_ids[r["service_code"]], r["service_code"],
                r["description"] or "", r["status"], r["status_notes"] or "", r["agency_responsible"] or "",
                utc_text(r["requested_datetime"]), utc_text(r["updated_datetime"]),
                utc_text(r["expected_datetime"]), r["address"] or "", r["media_url"] or "",
                f"{r['long']!r};{r['lat']!r}" if located else None, r["lat"] if located else None,
                r["long"] if located else None, "hidden" if c.is_secret else "public",
            ))  # fmt: skip
        peer.executemany(
            "INSERT INTO issues_issue (id, identifier, service_id, service_code, description, status, status_notes, "
            "agency_responsible, requested_datetime, updated_datetime, expected_datetime, address, media_url, "
            "location, lat, long, moderation, service_notice, zipcode, submitter_email, submitter_first_name, "
            "submitter_last_name, submitter_phone, jurisdiction_id, application_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', '', '', '', '', 1, 1)",
            rows,
        )
    peer.commit()
    peer.close()
    return len(numbers)


def wait_until_up(base, proc, log):
    import httpx

    for _ in range(240):
        if proc.poll() is not None:
            raise SystemExit(f"the server at {base} exited; its log {log}:\n{Path(log).read_text()[-3000:]}")
        try:
            if httpx.get(base + "/open311/v2/services.json", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"the server at {base} did not answer; its log: {log}")


def check(base, number):
    """Each call once, before any load: the status and body each server gives (the load counts only
    statuses), so a figure is never the rate of an error page."""
    import httpx

    with httpx.Client(base_url=base, timeout=60) as c:
        answers = {key: c.get(path) for key, _label, path in CALLS if path}
        answers["by_id"] = c.get(f"/open311/v2/requests/{number}.json")
        answers["post"] = c.post("/open311/v2/requests.json", data=POST_CHECK)
    seen = {key: r.status_code for key, r in answers.items()}
    wanted = {key: {404} if key == "not_found" else {200, 201} if key == "post" else {200} for key in seen}
    wrong = {key: (status, answers[key].text[:300]) for key, status in seen.items() if status not in wanted[key]}
    if wrong:
        raise SystemExit(f"{base} answered unexpectedly: {wrong}")
    return {
        "statuses": seen,
        "page_rows": len(answers["page"].json()),
        "services_rows": len(answers["services"].json()),
        "by_id": answers["by_id"].json()[0],
    }


def measure(key, base, ids, seconds):
    if key == "post":
        figures = wrk.intake(base, BENCH_KEY, f"peerbench{time.time_ns()}", seconds, open311_only=True)
    elif key in ("by_id_first", "by_id"):
        figures = wrk.load(base, [f"/open311/v2/requests/{n}.json" for n in ids], seconds)
    else:
        path = {k: p for k, _label, p in CALLS}[key]
        figures = wrk.load(base, [path], seconds, expect_status=404 if key == "not_found" else None)
    return {"rps": figures["rps"], "p99_ms": figures["p99_ms"], "errors": figures["errors"]}


def summary(runs, servers):
    calls = {}
    for key, label, _path in CALLS:
        row = {"call": label}
        for server in servers:
            rates = [run[key][server]["rps"] for run in runs]
            row[server] = round(statistics.median(rates), 1)
            row[f"{server}_p99_ms"] = round(statistics.median(run[key][server]["p99_ms"] for run in runs), 1)
            row[f"{server}_errors"] = sum(run[key][server]["errors"] for run in runs)
        for server in servers[1:]:
            row[f"ratio_vs_{server}"] = round(row["sikesal"] / row[server], 2) if row[server] else None
        calls[key] = row
    return calls


def table(calls, servers):
    names = {"sikesal": "SIKESAL", "peer": "peer", "peer_tuned": "peer tuned"}
    head = ["Open311 call", *(f"{names[s]} /s" for s in servers), *(f"ratio vs {names[s]}" for s in servers[1:]),
            "errors (" + " / ".join(names[s] for s in servers) + ")"]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in calls.values():
        cells = [row["call"], *(f"{row[s]:,.1f}" for s in servers),
                 *(f"{row[f'ratio_vs_{s}']}×" for s in servers[1:]),
                 " / ".join(str(row[f"{s}_errors"]) for s in servers)]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--peer-src", required=True, type=Path, help="a checkout of 6aika/issue-reporting")
    parser.add_argument("--peer-commit", help="the peer's commit, when PATH is not a git checkout")
    parser.add_argument("--peer-venv", type=Path, default=Path(tempfile.gettempdir()) / "sikesal-bench-peer-venv",
                        help="the peer's virtualenv, made when missing or not matching its requirements")  # fmt: skip
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--no-tuned", action="store_true", help="leave out the peer with WAL and persistent connections"
    )
    parser.add_argument("--json", help="write the figures to this file, and the table beside it (.md)")
    args = parser.parse_args()
    src = args.peer_src.resolve()
    if not (src / "cfh" / "settings.py").exists() or not (src / "issues" / "api").is_dir():
        raise SystemExit(f"{src} is not a checkout of 6aika/issue-reporting (no cfh/settings.py, issues/api/)")
    if not wrk.available():
        raise SystemExit("wrk is needed (Debian package wrk)")
    if missing := missing_libraries():
        raise SystemExit(f"the peer imports GeoDjango and needs {', '.join(missing)} (Debian: apt-get install "
                         "libgdal32 libgeos-c1v5)")  # fmt: skip
    servers = SERVERS[:2] if args.no_tuned else SERVERS
    python = peer_python(args.peer_venv)

    data_dir = Path(tempfile.mkdtemp(prefix="sikesal-bench-peer-"))
    os.environ["SIKESAL_DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)  # SQLite on both sides
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sikesal.settings")
    import django

    django.setup()
    from django.db import connection

    from sikesal.api.open311 import records

    started = time.perf_counter()
    prepare_database(args.reports, reuse=False)
    numbers = list(records.public().values_list("tracking_number", flat=True))
    ids = random.Random(0).sample(numbers, min(IDS, len(numbers)))

    overlay = data_dir / "peer_settings"
    overlay.mkdir()
    (overlay / "peer_bench_settings.py").write_text(SETTINGS_OVERLAY)
    dbs = {"peer": data_dir / "peer.sqlite3", "peer_tuned": data_dir / "peer-tuned.sqlite3"}
    envs = {name: peer_env(src, overlay, db, persistent=name == "peer_tuned") for name, db in dbs.items()}
    # (its system checks warn about every model's implicit primary key: shown only if the migrations fail)
    migrated = subprocess.run([str(python), "manage.py", "migrate", "--verbosity", "0"], cwd=src, env=envs["peer"],
                              capture_output=True, text=True)  # fmt: skip
    if migrated.returncode:
        raise SystemExit(f"the peer's migrations failed:\n{migrated.stdout}{migrated.stderr[-3000:]}")
    seeded = time.perf_counter()
    copied = copy_reports(dbs["peer"])
    copy_seconds = round(time.perf_counter() - seeded, 1)
    shutil.copyfile(dbs["peer"], dbs["peer_tuned"])
    with sqlite3.connect(dbs["peer_tuned"]) as tuned:
        tuned.execute("PRAGMA journal_mode=WAL")
    prepared_seconds = round(time.perf_counter() - started, 1)

    procs, bases = [], {}
    try:
        port = free_port()
        env = server_env(port, WORKERS)
        env["SIKESAL_WA_SIM"] = "0"
        proc, bases["sikesal"] = start_server(env, port)
        procs.append(proc)
        for name in servers[1:]:
            port, log = free_port(), data_dir / f"{name}.log"
            with open(log, "w") as out:
                procs.append(subprocess.Popen(
                    [str(python), "-m", "gunicorn", "cfh.wsgi:application", "--bind", f"127.0.0.1:{port}",
                     "--workers", str(WORKERS), "--graceful-timeout", "10", "--no-control-socket"],
                    cwd=src, env=envs[name], stdout=out, stderr=subprocess.STDOUT,
                ))  # fmt: skip
            bases[name] = f"http://127.0.0.1:{port}"
            wait_until_up(bases[name], procs[-1], log)
        checks = {name: check(bases[name], ids[0]) for name in servers}
        runs = []
        for run_index in range(args.runs):
            order = servers[run_index % len(servers) :] + servers[: run_index % len(servers)]
            run = {}
            for key, _label, _path in CALLS:
                run[key] = {}
                for name in order:
                    settle()
                    run[key][name] = measure(key, bases[name], ids, args.seconds)
            runs.append(run)
            print(f"run {run_index + 1}/{args.runs}: {json.dumps(run)}", file=sys.stderr, flush=True)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGINT)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()

    calls = summary(runs, servers)
    result = {
        "date": dt.date.today().isoformat(),
        "machine": f"{os.cpu_count()} cores, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') >> 30} GiB",
        "db": connection.vendor,
        "reports": args.reports,
        "reports_copied": copied,
        "ids_for_by_id": len(ids),
        "runs": args.runs,
        "load_seconds_per_phase": args.seconds,
        "connections": wrk.CONNECTIONS,
        "workers_per_server": WORKERS,
        "prepare_seconds": prepared_seconds,
        "copy_seconds": copy_seconds,
        "peer_commit": peer_commit(src, args.peer_commit),
        "peer_requirements": [line for line in REQUIREMENTS.read_text().splitlines() if line and line[0] != "#"],
        "checks": checks,
        "calls": calls,
        "per_run": runs,
    }
    text = table(calls, servers)
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, ensure_ascii=False))
        Path(args.json).with_suffix(".md").write_text(
            f"{result['date']}, {result['machine']}: {args.reports:,} reports on SQLite, {WORKERS} gunicorn sync "
            f"workers each, wrk {wrk.CONNECTIONS} connections × {args.seconds:g} s × {args.runs}, medians; "
            f"peer {result['peer_commit']}\n\n{text}\n"
        )
    shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
