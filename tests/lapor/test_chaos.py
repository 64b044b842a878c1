"""Chaos: both sides busy, the network unreliable, workers killed; in the end nothing lost or doubled.

Reports filed in SIKESAL and on the simulator (300 a side here, SIKESAL_CHAOS_REPORTS for more),
follow-ups on both sides, while the simulator, in its default unkind mode (public-client shapes, no
idempotency key honoured), answers with 5xx, timeouts, 429s, dropped connections, creates that answer
500 after committing and pages that deliver items twice, and two real worker processes are SIGKILLed
at random and restarted. Then the faults stop and the sync itself (no repair) must converge:
`reconcile --json` all zeros, parked and conflicts included, and no report twice on either side. The
test waits on progress, not on a wall-clock budget: it fails only when the sync stops making headway.
"""

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models import Count

from sikesal.complaints import lifecycle, submission
from sikesal.complaints.models import Complaint
from sikesal.complaints.policy import Actor
from sikesal.complaints.states import Channel
from sikesal.integrations.lapor import mapping
from sikesal.integrations.lapor.models import Link, Outbox
from tests.conftest import report_data
from tests.core.test_processes import database_env
from tests.lapor.conftest import Sim, start_simulator

# 300 a side in the suite; the full storm (1,200 a side) is `SIKESAL_CHAOS_REPORTS=1200 pytest -s tests/lapor/test_chaos.py`
LOCAL = int(os.environ.get("SIKESAL_CHAOS_REPORTS", "300"))
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
        LAPOR_FLAGS_HOLD_SECONDS="0",
        LAPOR_UNSURE_SETTLE_SECONDS="8",  # slow answers (0.3 s) queued on 2 busy cores outlive the 1 s timeout
        LAPOR_SYNC_MAX_SECONDS="5",
        LAPOR_PAGE_SIZE="25",  # more pages, so more of them are delivered with duplicates
        LAPOR_PULL_RESWEEP_SECONDS="20",  # the safety re-read, often enough for a storm of minutes
        LAPOR_PULL_OVERLAP_SECONDS="300",
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
    rows = list(Outbox.objects.values("status", "kind").annotate(n=Count("id")))
    errors = list(Outbox.objects.exclude(last_error="").values_list("kind", "status", "last_error")[:5])
    links = dict(Link.objects.values_list("origin").annotate(n=Count("id")))
    return f"reconcile={report} links={links} outbox={rows} errors={errors}"


def reconcile_json():
    from io import StringIO

    out = StringIO()
    call_command("lapor", "reconcile", "--json", stdout=out)
    return json.loads(out.getvalue())


ZERO = {
    "missing_remote": 0,
    "missing_local": 0,
    "status_mismatch": 0,
    "followup_mismatch": 0,
    "parked": 0,
    "conflicts": 0,
    "unknown_outcome_creates": 0,
    "forward_mismatch": 0,
    "unknown_status": 0,
}
STALL_SECONDS = 180  # no progress at all for this long is a failure; a slow machine only waits longer


def wait_for(condition, progress, what, describe=lambda: diagnosis(None)):
    """Wait until `condition()` holds, as long as `progress()` keeps changing: the test depends on the
    sync making headway, not on how fast this machine is."""
    last, since = progress(), time.monotonic()
    while not condition():
        time.sleep(2)
        now = progress()
        if now != last:
            last, since = now, time.monotonic()
        assert time.monotonic() - since < STALL_SECONDS, (
            f"no progress for {STALL_SECONDS} s while waiting for {what}: {describe()}"
        )


def outbox_progress():
    return tuple(Outbox.objects.values_list("status").annotate(n=Count("id")).order_by("status")), Link.objects.count()


def kill_one(workers, rng, env, log):
    victim = rng.randrange(len(workers))
    workers[victim].send_signal(signal.SIGKILL)
    workers[victim].wait()
    workers[victim] = start_worker(env, log)


def storm(tmp_path, users, settings, *, local, remote, disabled=(), faults=FAULTS):
    """Both sides busy under faults, workers killed; then faults stop and the sync alone must settle.
    With `disabled` calls, what it settled to in the dark is returned as `dark`, then the calls come back
    and the sync alone must bring everything to zero (no operator action)."""
    rng = random.Random(7)
    proc, url = start_simulator(tmp_path / "sim", "--tick-interval", "0.2", "--admin-delay", "0", "--seed", "7")
    sim = Sim(url)
    sim.post("/__sim/endpoints", {"disabled": list(disabled)})
    settings.LAPOR_BASE_URL = url
    settings.LAPOR_AUTH_SECRET = "Bearer sim-secret"
    settings.LAPOR_TOKEN = "sim-token"
    settings.LAPOR_FLAGS_HOLD_SECONDS = 0  # (as in the workers)
    env = worker_env(url)
    log = open(tmp_path / "workers.log", "ab")  # noqa: SIM115 - shared by the workers, closed at the end
    workers = [start_worker(env, log), start_worker(env, log)]
    admin = Actor.for_user(users["admin"])
    kills, started = 0, time.monotonic()
    try:
        sim.faults(**faults)
        if remote:
            sim.citizens(remote, backdate=False)
        system = Actor.system("chaos")
        filed = []
        last_kill = time.monotonic()
        for i in range(local):
            data = report_data(title=f"Jalan berlubang nomor {i}", is_anonymous=i % 3 == 0, is_secret=i % 5 == 0)
            filed.append(submission.submit(system, data).complaint)
            if time.monotonic() - last_kill > 4 and kills < 6:
                kill_one(workers, rng, env, log)
                kills, last_kill = kills + 1, time.monotonic()
        # follow-ups on our side: a quarter of the local reports are verified and answered
        for c in filed[: local // 4]:
            lifecycle.transition(c, "verify", admin, institution=c.service.default_institution_id)
            lifecycle.transition(c, "add_followup", admin, message="Petugas sudah meninjau lokasi.")
        # and on LAPOR!'s side: reporters write on (a fifth of) the reports that reached us
        replied = set()

        def reply_and_kill():
            nonlocal kills, last_kill
            for rid in Link.objects.filter(origin="lapor").values_list("remote_id", flat=True)[: remote // 5]:
                if rid not in replied:
                    response = sim.http.post(
                        f"/__sim/reporter/{rid}", json={"action": "reply", "content": "Mohon dicek."}
                    )
                    if response.status_code == 200:
                        replied.add(rid)
            if kills < 6 and time.monotonic() - last_kill > 6:
                kill_one(workers, rng, env, log)
                kills, last_kill = kills + 1, time.monotonic()
            # the faults last until most of the work went through them, not only the first minutes
            if disabled:  # (no list: LAPOR!'s reports stay out; our creates must have gone through them)
                busy_enough = Outbox.objects.filter(kind="create").exclude(status="pending").count() >= 0.9 * local
            else:
                busy_enough = Link.objects.count() >= 0.9 * (local + remote)
            # (without a list LAPOR!'s reports cannot come in, so there is nothing to reply on yet)
            return (len(replied) >= remote // 5 or bool(disabled)) and kills >= 3 and busy_enough

        wait_for(reply_and_kill, lambda: (outbox_progress(), len(replied), kills), "the storm's replies and kills")
        # the storm ends; the sync must now converge on its own
        sim.faults()
        report = {}

        def settled():
            nonlocal report
            held = Outbox.objects.filter(status="parked", kind="create").values("complaint")
            if Outbox.objects.filter(status="pending").exclude(complaint__in=held).exists():
                return False  # (rows behind a create held for a person wait with it, counted there)
            report = reconcile_json()
            return {k: report[k] for k in ZERO} == ZERO or bool(disabled)

        wait_for(
            settled,
            lambda: (outbox_progress(), json.dumps(report, sort_keys=True)),
            "the sync to settle",
            describe=lambda: diagnosis(report),
        )
        dark = None
        if disabled:
            dark = {**report, "_held": held_creates(), "_copies": own_copies(sim)}
            print(f"storm in the dark: held={dark['_held']} on LAPOR!={len(dark['_copies'])} reconcile={report}")
            sim.post("/__sim/endpoints", {"disabled": []})  # the optional calls come back

            def converged():
                nonlocal report
                report = reconcile_json()
                return {k: report[k] for k in ZERO} == ZERO and report["duplicates_remote"] == 0

            wait_for(
                converged,
                lambda: (outbox_progress(), json.dumps(report, sort_keys=True)),
                "the sync to converge once the optional calls are back",
                describe=lambda: diagnosis(report),
            )
        state = sim.state(complaints=1)
        injected, requests = state["faults"]["injected"], state["requests"]
    finally:
        for w in workers:
            w.send_signal(signal.SIGKILL)
            w.wait()
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
    copies = tally(state["complaints"])
    print(  # the operator's view of the storm (pytest -s shows it)
        f"storm: local={local} remote={remote} kills={kills} requests={sum(requests.values())} faults={injected} "
        f"settled in {time.monotonic() - started:.0f} s; reconcile={report}"
    )
    return report, injected, requests, copies, kills, dark


def tally(complaints):
    """Copies on SP4N-LAPOR! of each of our reports (by the ticket line or tag)."""
    copies = Counter(mapping.tracking_of(c) for c in complaints)
    copies.pop(None, None)
    return copies


def own_copies(sim):
    return tally(sim.state(complaints=1)["complaints"])


def held_creates():
    return Outbox.objects.filter(status="parked", kind="create", state__held="unknown_outcome").count()


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_nothing_is_lost_or_duplicated_under_chaos(catalogue, users, tmp_path, settings):
    report, injected, requests, copies, kills, _ = storm(tmp_path, users, settings, local=LOCAL, remote=REMOTE)
    assert kills >= 3
    assert {k: report[k] for k in ZERO} == ZERO, diagnosis(report)
    assert report["duplicates_remote"] == 0 and report["duplicates_local"] == 0
    assert max(copies.values()) == 1 and len(copies) == LOCAL  # the simulator keeps no idempotency key
    assert report["compared"] == LOCAL + REMOTE
    assert Complaint.objects.filter(channel=Channel.LAPOR).count() == REMOTE
    assert Outbox.objects.filter(status="parked").count() == 0
    assert injected.get("commit_500", 0) > 0 and injected.get("duplicate", 0) > 0, (injected, requests)
    assert injected.get("timeout", 0) > 0, injected
    assert sum(v for k, v in injected.items() if k.startswith("error_")) > 0 and injected.get("rate_limit", 0) > 0


# Answers that land after the client's timeout: a slow request is carried out on SP4N-LAPOR! after we
# gave up on it (2.5 s against a 1 s timeout), the case that could make a second copy.
LATE_ANSWERS = {**FAULTS, "slow_rate": 0.08, "slow_seconds": 2.5}


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_without_the_optional_calls_nothing_is_doubled_what_is_unsure_is_counted_and_all_converges(
    catalogue, users, tmp_path, settings
):
    """No list, no disposition call, no categories master, and answers that land after our timeout:
    LAPOR!'s own reports cannot come in and a create whose answer was lost cannot be looked for. Then
    nothing may be sent twice, every such create is counted (never a 0 that was not seen), and once the
    calls come back everything converges to zero by itself: held creates found and released, the rest
    sent, LAPOR!'s reports pulled in."""
    local = max(20, LOCAL // 5)
    remote = local // 2
    report, injected, _, copies, _, dark = storm(
        tmp_path,
        users,
        settings,
        local=local,
        remote=remote,
        disabled=("list", "disposition", "categories"),
        faults=LATE_ANSWERS,
    )
    assert injected.get("slow", 0) > 0, injected
    # in the dark: nothing doubled, what cannot be seen is unknown, every unsure create counted
    assert max(dark["_copies"].values()) == 1
    assert dark["missing_local"] is None and dark["duplicates_remote"] is None
    assert dark["unknown_outcome_creates"] == dark["_held"] and dark["missing_remote"] == dark["_held"]
    assert len(dark["_copies"]) + dark["_held"] >= local
    assert dark["status_mismatch"] == 0 and dark["followup_mismatch"] == 0, dark
    # the calls are back: all zeros, one copy of each, no operator action
    assert {k: report[k] for k in ZERO} == ZERO and report["duplicates_remote"] == 0, diagnosis(report)
    assert max(copies.values()) == 1 and len(copies) == local
    assert Complaint.objects.filter(channel=Channel.LAPOR).count() == remote
    assert Outbox.objects.filter(status="parked").count() == 0
