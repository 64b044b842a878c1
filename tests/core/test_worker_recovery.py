"""A worker killed in the middle of a task: another worker (or the same one restarted) runs the task again;
the side effects it had taken (the receipt mail, the routing suggestion) run once its lease ends."""

import datetime as dt
import signal
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from sikesal.complaints import effect_queue
from sikesal.complaints.models import PendingEffect
from sikesal.complaints.tasks import sweep_deadlines
from sikesal.core import workers
from sikesal.core.models import WorkerHeartbeat
from sikesal.routing.models import Suggestion
from tests.core.test_processes import ROOT, database_env, wait_for


def _left_running(worker_id, started):
    """A task as a worker leaves it when it dies mid-task (here the deadline sweep)."""
    result = sweep_deadlines.enqueue()
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING, started_at=started, worker_ids=[worker_id]
    )
    return result.id


@pytest.mark.django_db(transaction=True)
def test_tasks_of_a_dead_worker_run_again_and_a_live_workers_are_left_alone():
    now = timezone.now()
    orphan = _left_running("killed-worker", now - dt.timedelta(hours=1))
    busy = _left_running("busy-worker", now - dt.timedelta(hours=1))  # a long task, still alive
    recent = _left_running("just-killed", now - dt.timedelta(seconds=10))  # not stale yet
    workers.beat("busy-worker")

    assert workers.requeue_orphans() == [str(orphan)]
    status = {str(pk): s for pk, s in DBTaskResult.objects.values_list("pk", "status")}
    assert status[orphan] == TaskResultStatus.READY
    assert status[busy] == status[recent] == TaskResultStatus.RUNNING

    call_command("worker", batch=True, no_scheduler=True, interval=0)
    assert DBTaskResult.objects.get(pk=orphan).status == TaskResultStatus.SUCCESSFUL
    # once its worker has been silent long enough, the recent one is requeued as well
    later = now + dt.timedelta(minutes=10)
    workers.beat("busy-worker", now=later)
    assert workers.requeue_orphans(now=later) == [str(recent)]
    assert not WorkerHeartbeat.objects.exclude(worker_id="busy-worker").exists()  # the batch worker left none


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_a_restarted_worker_finishes_what_the_killed_one_left_running(submit):
    complaint = submit(title="Lampu jalan mati", body="Lampu PJU di depan masjid padam sudah seminggu.")
    effect_queue.claim()  # the killed worker had taken the report's side effects; its lease ran out
    PendingEffect.objects.update(leased_until=timezone.now() - dt.timedelta(seconds=1))
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--interval", "0.2", "--no-scheduler"],
        cwd=ROOT,
        env=database_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert wait_for(lambda: Suggestion.objects.filter(complaint=complaint).exists())
        assert WorkerHeartbeat.objects.count() == 1  # the new worker's
    finally:
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=30)[0].decode()
    assert proc.returncode == 0, out
    assert not WorkerHeartbeat.objects.exists()  # a clean stop removes it
