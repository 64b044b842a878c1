"""WhatsApp benchmark: webhook deliveries per second through the whole conversation path, and how long a
citizen waits for the receipt, under that load.

    .venv/bin/python -m bench.whatsapp [--citizens 500] [--rate 300] [--deliverers 16] [--task-workers 1]
                                       [--web-workers 2] [--send-latency 0] [--json FILE]

Starts SIKESAL the production way (`manage.py up`: gunicorn with its 2 web workers and the task worker)
on a fresh SQLite database in a temporary directory (or DATABASE_URL's PostgreSQL), and the WhatsApp Cloud
API simulator (wa_sim) delivering to it with `--deliverers` webhooks in flight at a time. Every citizen
sends a whole conversation that ends in a filed report (hello, what happened, a shared location, no photo,
privacy, "ya": six messages), all citizens at once: every citizen's first message, then every citizen's
second, and so on, in one /__sim/burst, each message its own signed webhook, offered at `--rate` messages a
second (the load the issue sets, 300; `--rate 0`: as fast as the deliverers go, SIKESAL's ceiling). Measured:

- `webhook_messages_per_s`: webhooks SIKESAL answered 200 (each stored and a task queued), per second of
  the burst's delivery (the offered rate when SIKESAL takes all it is offered);
- `worker_messages_per_s`: citizens' messages the worker handled (conversation step, answers queued,
  reports filed), per second from the first handled to the last;
- `worker_lag_at_burst_end_s`: how long the worker still needed once the last webhook was taken (close to
  zero when it keeps up);
- `receipt_latency_p50_s`/`_p99_s`: for each citizen, from the webhook of their last message ("ya") being
  taken by SIKESAL to the receipt (tracking number and private link) arriving at the simulator, from the
  simulator's own times (its delivery log and transcript);
- `receipt_after_burst_start_p99_s`: the same to the moment the whole burst was handed to the simulator
  (every citizen writing at once: the queue of webhooks ahead of a citizen's last message counts).
"""

import argparse
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.__main__ import free_port, percentile, server_env
from wa_sim import process

ROOT = Path(__file__).resolve().parents[1]
LOCATION = {"latitude": -1.6101, "longitude": 103.6131, "name": "Pasar Angso Duo"}
FIRST_PHONE = 6281300000000


def conversation(i):
    phone = str(FIRST_PHONE + i)
    said = [
        {"text": "Halo"},
        {"text": f"Jalan berlubang besar di depan rumah nomor {i}, sudah dua minggu, motor sering jatuh."},
        {"location": LOCATION},
        {"text": "lewati"},
        {"text": "1"},
        {"text": "ya"},
    ]
    return [{"from": phone, "name": f"Warga {i}", **m} for m in said]


def start_simulator(data_dir, deliverers):
    return process.start(data_dir, "--workers", deliverers)


def start_sikesal(sim_url, task_workers, web_workers):
    import httpx

    port = free_port()
    # As `python -m bench` runs it (the daily jobs, the routing model's retraining among them, kept out of
    # the measured window), with the WhatsApp simulator's address.
    env = server_env(port, web_workers)
    env.update(SIKESAL_WA_SIM="0", SIKESAL_WHATSAPP_API_URL=sim_url, SIKESAL_TASK_WORKERS=str(task_workers))
    # The same citizens file again in every run: on a PostgreSQL database kept between runs, the sixth run
    # within an hour met the per-sender limit of reports (5 an hour) and waited for reports never filed.
    env.setdefault("SIKESAL_RATE_FILE_PER_SENDER", "1000")
    proc = subprocess.Popen([sys.executable, "manage.py", "up"], cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError("SIKESAL did not start")


def cpu_by_role(roots):
    """CPU seconds (user + system) used so far by each process tree under `roots` ({role: pid}), the tasks
    worker and the web workers told apart by their command line: where a message's cost goes."""
    tick = os.sysconf("SC_CLK_TCK")
    procs = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()  # the name in (...) may hold spaces
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode()
        except OSError:  # it has just exited
            continue
        procs[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick, cmdline)
    used = {}
    for role, root in roots.items():
        for pid, (_, cpu, cmdline) in procs.items():
            ancestor = pid
            while ancestor not in (root, 0, 1) and ancestor in procs:
                ancestor = procs[ancestor][0]
            if ancestor == root:
                name = "worker" if " worker" in cmdline else "web" if "gunicorn" in cmdline else role
                used[name] = used.get(name, 0.0) + cpu
    return used


def seconds(iso):
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def run(args, sim_url, base, roots):
    import httpx
    from django.db.models import Max, Min

    from sikesal.complaints.models import Complaint
    from sikesal.integrations.inbound.models import InboundMessage

    sim = httpx.Client(base_url=sim_url, timeout=600)
    sim.post(
        "/__sim/config",
        json={"webhook": f"{base}/webhooks/whatsapp/", "statuses": False, "send_latency": args.send_latency},
    )
    # Many citizens writing at once: each one's next message after everyone else's current one.
    conversations = [conversation(i) for i in range(args.citizens)]
    messages = [c[step] for step in range(len(conversations[0])) for c in conversations]
    handed = time.time()
    cpu_before = cpu_by_role(roots)
    started = time.perf_counter()
    pace = {"rate": args.rate} if args.rate else {}
    burst = sim.post("/__sim/burst", json={"messages": messages, "timeout": 600, **pace}).json()
    burst_seconds = time.perf_counter() - started
    accepted = sum(1 for d in burst["deliveries"] if d["status"] == 200)
    handled = InboundMessage.objects.filter(kind="message", processed_at__isnull=False)
    deadline = time.monotonic() + max(120, 1.2 * args.citizens)  # a stall ends the run with what it has
    # this run's (a PostgreSQL database keeps an earlier run's reports)
    filed = Complaint.objects.filter(channel="whatsapp", created_at__gte=dt.datetime.fromtimestamp(handed, dt.UTC))
    while handled.count() < len(messages) or filed.count() < args.citizens:
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    lag = time.perf_counter() - started - burst_seconds
    # the last receipts leave the worker just after their messages are handled
    while sim.get("/__sim/state").json()["counts"]["messages_out"] < len(messages) and time.monotonic() < deadline:
        time.sleep(0.2)
    cpu = cpu_by_role(roots)
    span = handled.aggregate(first=Min("processed_at"), last=Max("processed_at"))
    worker_seconds = (span["last"] - span["first"]).total_seconds() if span["last"] else None

    taken = {}  # wamid -> when SIKESAL answered its first successful delivery
    for d in sim.get("/__sim/deliveries").json()["deliveries"]:
        if d["http_status"] == 200 and d["wamids"][0] not in taken:
            taken[d["wamids"][0]] = seconds(d["at"])
    last_wamid = {}
    for i, wamid in enumerate(burst["wamids"]):
        last_wamid[messages[i]["from"]] = wamid
    receipt_at = {}
    for m in sim.get("/__sim/transcript").json()["messages"]:
        if m["direction"] == "out" and "/pelapor/" in m["text"]:
            receipt_at.setdefault(m["phone"], seconds(m["at"]))
    latencies = [receipt_at[p] - taken[w] for p, w in last_wamid.items() if p in receipt_at and w in taken]
    from_start = [receipt_at[p] - handed for p in last_wamid if p in receipt_at]
    return {
        "citizens": args.citizens,
        "messages": len(messages),
        "deliverers": args.deliverers,
        "offered_messages_per_s": args.rate or None,
        "task_workers": args.task_workers,
        "web_workers": args.web_workers,
        "send_latency_s": args.send_latency,
        "webhook_accepted": accepted,
        "webhook_messages_per_s": round(accepted / burst_seconds, 1),
        "burst_seconds": round(burst_seconds, 2),
        "worker_handled": handled.count(),
        "worker_messages_per_s": round(handled.count() / worker_seconds, 1) if worker_seconds else None,
        "worker_lag_at_burst_end_s": round(lag, 2),
        "reports_filed": filed.count(),
        "receipts": len(receipt_at),
        "receipt_latency_p50_s": round(percentile(latencies, 0.5), 3) if latencies else None,
        "receipt_latency_p99_s": round(percentile(latencies, 0.99), 3) if latencies else None,
        "receipt_after_burst_start_p99_s": round(percentile(from_start, 0.99), 3) if from_start else None,
        **{
            f"cpu_ms_per_message_{role}": round(1000 * (cpu[role] - cpu_before.get(role, 0.0)) / len(messages), 2)
            for role in sorted(cpu)
        },
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--citizens", type=int, default=500)
    parser.add_argument("--deliverers", type=int, default=16, help="webhooks the simulator has in flight")
    parser.add_argument(
        "--rate", type=float, default=300,
        help="messages a second the simulator offers (the issue's load); 0: as fast as the deliverers go",
    )  # fmt: skip
    parser.add_argument("--task-workers", type=int, default=1, help="`manage.py up --task-workers`")
    # up's own default: on two cores, four web processes (python -m bench's 2 per core, for page traffic)
    # cost each webhook 1.9 ms of CPU instead of 1.3, taken from the worker (2026-12-07).
    parser.add_argument("--web-workers", type=int, default=2, help="`manage.py up --web-workers`")
    parser.add_argument(
        "--send-latency", type=float, default=0.0, help="seconds the simulated Cloud API takes to answer a send"
    )
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    from bench.core import setup_django

    setup_django()  # a fresh SQLite file in SIKESAL_DATA_DIR (or DATABASE_URL), migrated: the server's too
    from sikesal.integrations.inbound.models import Conversation, InboundMessage, OutboundMessage

    # A PostgreSQL database may hold an earlier run's messages: the simulator's message ids repeat from run
    # to run, and SIKESAL rightly takes a repeated id for Meta's re-delivery (stored once, not answered).
    for model in (OutboundMessage, Conversation, InboundMessage):
        model.objects.all().delete()
    from sikesal.routing.service import train_and_activate

    # As a city's system has one: without a routing model the first report filed trains it, in the worker,
    # in the measured window (python -m bench trains it first too).
    train_and_activate()
    from django.db import connection

    sim_proc, sim_url = start_simulator(tempfile.mkdtemp(prefix="wa-sim-bench-"), args.deliverers)
    server = None
    try:
        server, base = start_sikesal(sim_url, args.task_workers, args.web_workers)
        result = {
            "db": connection.vendor,
            "machine": f"{os.cpu_count()} cores, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') >> 30} GiB",
            **run(args, sim_url, base, {"sikesal": server.pid, "simulator": sim_proc.pid}),
        }
    finally:
        if server is not None:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=60)
        sim_proc.terminate()
        sim_proc.wait(timeout=30)
    print("| metric | value |\n|---|---|")
    for key, value in result.items():
        print(f"| {key} | {value} |")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
