"""Several worker processes on one database: each queued task runs once, and the work is shared."""

import subprocess
import sys

import pytest
from django.conf import settings
from django_tasks_db.models import DBTaskResult

from sikesal.integrations.lapor.outbound import lapor_push
from tests.core.test_processes import database_env, wait_for

# Enough cheap tasks that neither worker can drain them all alone: SQLite's writers' lock is not fair, and a
# worker that has just claimed a task often claims the next before the other one is woken (with 200, one
# worker took them all in about one run in three on this machine).
TASKS = 1000


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_two_workers_never_run_the_same_task_twice(tmp_path):
    env = database_env()
    env.pop("LAPOR_BASE_URL", None)
    # Each worker's output to a file (a pipe nobody reads would fill and stop the worker mid-run); its
    # first line, "SIKESAL worker <id> started", comes just before it polls.
    logs = [tmp_path / f"worker-{i}.log" for i in range(2)]
    workers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "worker", "--interval", "0.05", "--no-scheduler"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        for log in logs
    ]
    try:
        # Both workers polling before the work arrives, so both get a share: however long a loaded
        # machine takes to start them.
        assert wait_for(lambda: all("started" in log.read_text() for log in logs), timeout=120)
        for _ in range(TASKS):
            lapor_push.enqueue()  # cheap: the integration is off in this environment
        assert wait_for(lambda: not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists(), timeout=120)
    finally:
        for w in workers:
            w.terminate()
            w.wait(timeout=30)
    runs = list(DBTaskResult.objects.values_list("worker_ids", flat=True))
    assert len(runs) == TASKS
    assert all(len(ids) == 1 for ids in runs)  # claimed once each (SKIP LOCKED on PostgreSQL)
    assert len({ids[0] for ids in runs}) == 2  # and both workers took a share


@pytest.mark.django_db(transaction=True)
def test_statistics_read_from_the_replica_alias(submit):
    """With DATABASE_REPLICA_URL set (here: the same database, standing in for a streaming replica),
    the public statistics query the `replica` connection and not the primary."""
    submit()
    env = database_env()
    if "DATABASE_URL" in env:
        env["DATABASE_REPLICA_URL"] = env["DATABASE_URL"]
    else:
        env["DATABASE_REPLICA_URL"] = f"sqlite:///{env['SIKESAL_SQLITE_PATH']}"
    code = (
        "from django.db import connections\n"
        "from django.test.utils import CaptureQueriesContext\n"
        "from sikesal.portal import statistics\n"
        "with CaptureQueriesContext(connections['replica']) as rep, "
        "CaptureQueriesContext(connections['default']) as pri:\n"
        "    data = statistics.compute()\n"
        "print(len(rep), len(pri), data['total'])\n"
    )
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    replica_queries, primary_queries, total = out.stdout.split()[-3:]
    assert int(replica_queries) > 0 and int(primary_queries) == 0 and int(total) == 1
