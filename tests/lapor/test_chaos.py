"""Chaos: both sides busy, the network unreliable, workers killed; in the end nothing lost or doubled.

1,000 reports filed in SIKESAL and 1,000 on the simulator, follow-ups on both sides, while the
simulator answers with 5xx, timeouts, 429s, dropped connections, creates that answer 500 and pages
that deliver items twice, and two real worker processes are SIGKILLed at random and restarted.
Then the faults stop and the sync itself (no repair) must converge: `reconcile --json` all zeros.
"""

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.core.management import call_command

from sikesal.complaints import lifecycle
from sikesal.complaints.models import Complaint
from sikesal.complaints.policy import Actor
from sikesal.complaints.states import Channel
from sikesal.integrations.lapor.models import Link, Outbox
from tests.conftest import report_data
from tests.core.test_processes import database_env
from tests.lapor.conftest import Sim, start_simulator

LOCAL = int(os.environ.get("SIKESAL_CHAOS_REPORTS", "1000"))
REMOTE = LOCAL
FAULTS = {
    "error_rate": 0.12,  # 500/502/503/504
    "timeout_rate": 0.03,
    "timeout_seconds": 1.5,
    "rate_limit_rate": 0.05,
    "retry_after": 0.3,
    "drop_rate": 0.02,  # 22% of calls fail outright, plus:
    "commit_500_rate": 0.10,  # writes that succeed but answer 500
    "duplicate_rate": 0.40,  # list pages that deliver items twice
    "slow_rate": 0.05,
    "slow_seconds": 0.3,
}


def worker_env(sim_url):
    env = database_env()
    env.update(
        LAPOR_BASE_URL=sim_url,
        LAPOR_AUTH_SECRET="Bearer sim-secret",
        LAPOR_TOKEN="sim-token",
        LAPOR_TIMEOUT_SECONDS="1",
        LAPOR_MAX_RETRY_WAIT="0.3",
        LAPOR_RETRY_BASE_SECONDS="0.5",
        LAPOR_RETRY_MAX_SECONDS="3",
        LAPOR_SYNC_MAX_SECONDS="5",
        LAPOR_PAGE_SIZE="25",  # more pages, so more of them are delivered with duplicates
        SIKESAL_PERIODIC=json.dumps(
            {"lapor_sync": {"task": "sikesal.integrations.lapor.tasks.lapor_sync", "every_seconds": 2}}
        ),
    )
    return env


def start_worker(env, log):
    return subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--interval", "0.1", "--schedule-interval", "0.5"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def diagnosis(report):
    from django.db.models import Count

    rows = list(Outbox.objects.values("status", "kind").annotate(n=Count("id")))
    errors = list(Outbox.objects.exclude(last_error="").values_list("kind", "status", "last_error")[:5])
    return f"reconcile={report} outbox={rows} errors={errors}"


def reconcile_json():
    from io import StringIO

    out = StringIO()
    call_command("lapor", "reconcile", "--json", stdout=out)
    return json.loads(out.getvalue())


ZERO = {"missing_remote": 0, "missing_local": 0, "status_mismatch": 0, "followup_mismatch": 0}


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_nothing_is_lost_or_duplicated_under_chaos(catalogue, users, tmp_path, settings):
    rng = random.Random(7)
    proc, url = start_simulator(tmp_path / "sim", "--tick-interval", "0.2", "--admin-delay", "0", "--seed", "7")
    sim = Sim(url)
    settings.LAPOR_BASE_URL = url
    settings.LAPOR_AUTH_SECRET = "Bearer sim-secret"
    settings.LAPOR_TOKEN = "sim-token"
    env = worker_env(url)
    log = open(tmp_path / "workers.log", "ab")  # noqa: SIM115 - shared by the workers, closed at the end
    workers = [start_worker(env, log), start_worker(env, log)]
    admin = Actor.for_user(users["admin"])
    kills = 0
    try:
        sim.faults(**FAULTS)
        sim.citizens(REMOTE, backdate=False)
        system = Actor.system("chaos")
        local = []
        last_kill = time.monotonic()
        for i in range(LOCAL):
            data = report_data(title=f"Jalan berlubang nomor {i}", is_anonymous=i % 3 == 0, is_secret=i % 5 == 0)
            local.append(lifecycle.submit(system, data).complaint)
            if time.monotonic() - last_kill > 4 and kills < 6:
                victim = rng.randrange(len(workers))
                workers[victim].send_signal(signal.SIGKILL)
                workers[victim].wait()
                workers[victim] = start_worker(env, log)
                kills += 1
                last_kill = time.monotonic()
        # follow-ups on our side: a quarter of the local reports are verified and answered
        for c in local[: LOCAL // 4]:
            lifecycle.transition(c, "verify", admin, institution=c.service.default_institution_id)
            lifecycle.transition(c, "add_followup", admin, message="Petugas sudah meninjau lokasi.")
        # and on LAPOR!'s side: reporters write on the reports that reached us
        deadline = time.monotonic() + 240
        replied = set()
        while time.monotonic() < deadline and (len(replied) < REMOTE // 5 or kills < 3):
            time.sleep(2)
            for rid in Link.objects.filter(origin="lapor").values_list("remote_id", flat=True)[: REMOTE // 5]:
                if rid not in replied:
                    response = sim.http.post(
                        f"/__sim/reporter/{rid}", json={"action": "reply", "content": "Mohon dicek."}
                    )
                    if response.status_code == 200:
                        replied.add(rid)
            if kills < 6 and time.monotonic() - last_kill > 6:
                victim = rng.randrange(len(workers))
                workers[victim].send_signal(signal.SIGKILL)
                workers[victim].wait()
                workers[victim] = start_worker(env, log)
                kills += 1
                last_kill = time.monotonic()
        assert kills >= 3
        assert len(replied) == REMOTE // 5
        # the storm ends; the sync must now converge on its own
        sim.faults()
        report = None
        while time.monotonic() < deadline + 240:
            time.sleep(3)
            if Outbox.objects.filter(status="pending").exists():
                continue
            report = reconcile_json()
            if {k: report[k] for k in ZERO} == ZERO:
                break
        state = sim.state()
        injected, requests = state["faults"]["injected"], state["requests"]
    finally:
        for w in workers:
            w.send_signal(signal.SIGKILL)
            w.wait()
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
    assert report is not None and {k: report[k] for k in ZERO} == ZERO, diagnosis(report)
    assert report["duplicates_remote"] == 0 and report["duplicates_local"] == 0
    assert report["compared"] == LOCAL + REMOTE
    assert Complaint.objects.filter(channel=Channel.LAPOR).count() == REMOTE
    assert Outbox.objects.filter(status="parked").count() == 0
    assert injected.get("commit_500", 0) > 0 and injected.get("duplicate", 0) > 0, (injected, requests)
    assert injected.get("timeout", 0) > 0, injected
    assert sum(v for k, v in injected.items() if k.startswith("error_")) > 0 and injected.get("rate_limit", 0) > 0
