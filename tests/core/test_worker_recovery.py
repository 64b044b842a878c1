"""A worker killed in the middle of a task: another worker (or the same one restarted) runs the task again,
so the report still gets its receipt mail and its routing suggestion."""

import datetime as dt
import signal
import subprocess
import sys

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from sikesal.core import workers
from sikesal.core.models import WorkerHeartbeat
from sikesal.routing.models import Suggestion
from tests.core.test_processes import ROOT, database_env, wait_for


def _left_running(complaint, worker_id, started):
    """The report's side-effect task as a worker leaves it when it dies mid-task."""
    task = DBTaskResult.objects.filter(task_path__endswith="dispatch_event", status=TaskResultStatus.READY).get(
        args_kwargs__args__0=complaint.events.get(action="submit").pk
    )
    DBTaskResult.objects.filter(pk=task.pk).update(
        status=TaskResultStatus.RUNNING, started_at=started, worker_ids=[worker_id]
    )
    return task.pk


@pytest.mark.django_db(transaction=True)
def test_tasks_of_a_dead_worker_run_again_and_a_live_workers_are_left_alone(submit):
    now = timezone.now()
    first = submit()
    orphan = _left_running(first, "killed-worker", now - dt.timedelta(hours=1))
    busy = _left_running(submit(), "busy-worker", now - dt.timedelta(hours=1))  # a long task, still alive
    recent = _left_running(submit(), "just-killed", now - dt.timedelta(seconds=10))  # not stale yet
    workers.beat("busy-worker")

    assert workers.requeue_orphans() == [str(orphan)]
    status = dict(DBTaskResult.objects.values_list("pk", "status"))
    assert status[orphan] == TaskResultStatus.READY
    assert status[busy] == status[recent] == TaskResultStatus.RUNNING

    mail.outbox.clear()
    call_command("worker", batch=True, no_scheduler=True, interval=0)
    assert DBTaskResult.objects.get(pk=orphan).status == TaskResultStatus.SUCCESSFUL
    # the reporter of the first report gets the receipt the dead worker never sent, once
    assert [(m.to, first.tracking_number in m.subject) for m in mail.outbox] == [(["budi@example.com"], True)]
    assert Suggestion.objects.filter(complaint=first).exists()
    # once its worker has been silent long enough, the recent one is requeued as well
    later = now + dt.timedelta(minutes=10)
    workers.beat("busy-worker", now=later)
    assert workers.requeue_orphans(now=later) == [str(recent)]
    assert not WorkerHeartbeat.objects.exclude(worker_id="busy-worker").exists()  # the batch worker left none


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_a_restarted_worker_finishes_what_the_killed_one_left_running(submit):
    complaint = submit(title="Lampu jalan mati", body="Lampu PJU di depan masjid padam sudah seminggu.")
    _left_running(complaint, "killed-worker", timezone.now() - dt.timedelta(hours=1))
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
