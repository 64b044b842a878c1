"""The worker and `manage.py up` as real processes: they work, and stop cleanly on a signal."""

import datetime as dt
import os
import re
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
from django.conf import settings
from django.db import connection

from sikesal.complaints.models import Complaint

ROOT = settings.BASE_DIR


def database_env():
    """Point a child process at the test database."""
    s = connection.settings_dict
    env = dict(os.environ)
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = f"postgresql://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"
    else:
        env.pop("DATABASE_URL", None)
        env["SIKESAL_SQLITE_PATH"] = str(s["NAME"])
    return env


def wait_for(predicate, timeout=60):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.3)
    return False


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_worker_sweeps_and_stops_on_sigterm(in_state, act, tmp_path):
    complaint = in_state("in_progress")
    long_ago = dt.datetime(2025, 1, 6, 3, tzinfo=dt.UTC)
    act(complaint, "complete_followup", now=long_ago)  # the reporter has been silent for months
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--interval", "0.2"],
        cwd=ROOT,
        env=database_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert wait_for(lambda: Complaint.objects.get(pk=complaint.pk).status == "closed_system")
    finally:
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=30)[0].decode()
    assert proc.returncode == 0, out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_up(tmp_path, **extra_env):
    """`manage.py up` in its own session, on free ports, with its own SQLite database and simulators."""
    port, sim_port, wa_port = free_port(), free_port(), free_port()
    env = dict(
        os.environ,
        **extra_env,
        SIKESAL_DATA_DIR=str(tmp_path),
        SIKESAL_PORT=str(port),
        LAPOR_SIM_PORT=str(sim_port),
        WA_SIM_PORT=str(wa_port),
    )
    env.pop("DATABASE_URL", None)
    env.pop("LAPOR_BASE_URL", None)
    env.pop("SIKESAL_WHATSAPP_API_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "up"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return proc, port, sim_port, wa_port


def healthy(port):
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).json()["status"] == "ok"
    except (httpx.HTTPError, ValueError):
        return False


def simulator_answers(sim_port):
    """The LAPOR! or the WhatsApp simulator: both answer `/__sim/state`."""
    try:
        return httpx.get(f"http://127.0.0.1:{sim_port}/__sim/state", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def children(pid):
    """{pid: command line} of the live (not zombie) processes whose parent is `pid`, read from /proc."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                state, ppid = f.read().rsplit(")", 1)[1].split()[:2]  # the name in (...) may hold spaces
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode()
        except OSError:  # the process has just exited
            continue
        if int(ppid) == pid and state != "Z":
            found[int(entry)] = cmdline
    return found


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow
def test_up_runs_everything_and_ctrl_c_stops_it(tmp_path):
    proc, port, _, _ = start_up(tmp_path)
    try:
        assert wait_for(lambda: healthy(port), timeout=90), "web server did not come up"
        assert (tmp_path / "sikesal.sqlite3").exists()
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        out = proc.communicate(timeout=40)[0].decode()
    assert proc.returncode == 0, out
    assert "SIKESAL berhenti" in out
    assert "tidak ada admin koordinator aktif dengan alamat e-mail" in out  # an empty database: nobody to alarm
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)


@pytest.mark.slow
def test_up_restarts_a_killed_worker_and_keeps_the_rest_running(tmp_path):
    proc, port, sim_port, wa_port = start_up(tmp_path)

    def workers():
        return [pid for pid, cmdline in children(proc.pid).items() if "manage.py worker" in cmdline]

    kids = {}
    try:
        assert wait_for(lambda: healthy(port), timeout=90), "web server did not come up"
        assert wait_for(lambda: simulator_answers(sim_port), timeout=30), "simulator did not come up"
        assert wait_for(lambda: simulator_answers(wa_port), timeout=30), "WhatsApp simulator did not come up"
        [old_worker] = workers()
        os.kill(old_worker, signal.SIGKILL)
        assert wait_for(lambda: any(pid != old_worker for pid in workers()), timeout=30), "no new worker"
        assert proc.poll() is None, "up stopped"
        assert healthy(port), "the web server went down with the worker"
        assert simulator_answers(sim_port), "the simulator went down with the worker"
        assert simulator_answers(wa_port), "the WhatsApp simulator went down with the worker"
        kids = children(proc.pid)
        assert len(kids) == 4, kids  # web, worker, LAPOR! simulator, WhatsApp simulator
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        out = proc.communicate(timeout=40)[0].decode()
    assert proc.returncode == 0, out
    assert "worker berhenti (exit -9); dijalankan ulang dalam 1 detik" in out
    assert "SIKESAL berhenti" in out
    assert wait_for(lambda: not any(alive(pid) for pid in kids), timeout=10), out


@pytest.mark.slow
def test_up_backs_off_a_crash_looping_worker_but_not_one_that_ran_well(tmp_path):
    """A worker that dies before its heartbeat shows it running is restarted after 1 s, then 2 s, ...; once
    a restarted worker beats, the next death waits 1 s again (it was a new fault, not a crash loop)."""
    import sqlite3

    proc, port, _, _ = start_up(tmp_path, SIKESAL_WORKER_HEARTBEAT_SECONDS="1")

    def worker():
        found = [pid for pid, cmdline in children(proc.pid).items() if "manage.py worker" in cmdline]
        return found[0] if found else None

    def beats(pid):
        with sqlite3.connect(tmp_path / "sikesal.sqlite3") as db:
            return db.execute("SELECT count(*) FROM core_workerheartbeat WHERE pid = ?", (pid,)).fetchone()[0]

    try:
        assert wait_for(lambda: healthy(port), timeout=90), "web server did not come up"
        first = worker()
        assert wait_for(lambda: beats(first), timeout=60), "the worker never beat"
        os.kill(first, signal.SIGKILL)  # ran well: restarted after 1 s
        dead = [first]
        for _ in range(2):  # then twice dead before it gets anywhere: a crash loop
            assert wait_for(lambda: worker() not in (None, *dead), timeout=30), "no new worker"
            dead.append(worker())
            os.kill(dead[-1], signal.SIGKILL)  # at once, long before its first heartbeat
        assert wait_for(lambda: worker() not in (None, *dead), timeout=30), "no new worker"
        settled = worker()
        assert wait_for(lambda: beats(settled), timeout=60), "the restarted worker never beat"
        time.sleep(3)  # the supervisor looks at the heartbeat once a second
        os.kill(settled, signal.SIGKILL)
        assert wait_for(lambda: worker() not in (None, *dead, settled), timeout=30), "no new worker"
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        out = proc.communicate(timeout=40)[0].decode()
    delays = re.findall(r"worker berhenti \(exit -9\); dijalankan ulang dalam (\d+) detik", out)
    # ran well (1 s), a crash loop backs off (2 s, 4 s), a worker that beat again is restarted after 1 s
    assert delays == ["1", "2", "4", "1"], out
