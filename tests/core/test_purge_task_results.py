"""Finished task rows are deleted after their period (successful 7 days, failed 30); waiting and running
rows never, however old."""

import datetime as dt

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from sikesal.core import tasks

READY, RUNNING = TaskResultStatus.READY, TaskResultStatus.RUNNING
SUCCESSFUL, FAILED = TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED


def row(status, days_ago, now, finished=True):
    """A task row enqueued, started and (unless still waiting or running) finished `days_ago` days before
    `now`."""
    at = now - dt.timedelta(days=days_ago)
    result = DBTaskResult.objects.create(
        task_path="sikesal.complaints.tasks.sweep_deadlines",
        args_kwargs={"args": [], "kwargs": {}},
        backend_name="default",
        status=status,
        started_at=None if status == READY else at,
        finished_at=at if finished else None,
    )
    DBTaskResult.objects.filter(pk=result.pk).update(enqueued_at=at)  # auto_now_add ignores a given value
    return result.pk


def test_only_finished_rows_past_their_period_are_deleted(db):
    now = timezone.now()
    gone = {
        row(SUCCESSFUL, 8, now),
        row(SUCCESSFUL, 400, now),
        row(FAILED, 31, now),
    }
    kept = {
        row(SUCCESSFUL, 6, now),
        row(FAILED, 8, now),  # old enough for a successful row: a failure is kept for the admin to read
        row(FAILED, 29, now),
        row(READY, 60, now, finished=False),
        row(RUNNING, 60, now, finished=False),
        row(READY, 60, now),  # a finished_at left on a row back in the queue does not make it finished
    }

    assert tasks.purge(now=now) == {"successful": 2, "failed": 1}
    left = set(DBTaskResult.objects.values_list("pk", flat=True))
    assert left == kept and not left & gone
    assert tasks.purge(now=now) == {"successful": 0, "failed": 0}  # nothing more to do


def test_a_large_backlog_goes_in_chunks(db, monkeypatch):
    monkeypatch.setattr(tasks, "CHUNK", 2)
    now = timezone.now()
    for _ in range(5):
        row(SUCCESSFUL, 10, now)
    recent = row(SUCCESSFUL, 1, now)
    with CaptureQueriesContext(connection) as queries:
        assert tasks.purge(now=now) == {"successful": 5, "failed": 0}
    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    # successful: 2, 2, 1, then none left; failed: none
    assert len(deletes) == 5 and all("LIMIT 2" in sql for sql in deletes)
    assert list(DBTaskResult.objects.values_list("pk", flat=True)) == [recent]


def test_the_scheduler_runs_it_daily(db):
    spec = settings.SIKESAL_PERIODIC["purge_task_results"]
    assert spec["every_seconds"] == 86400 and import_string(spec["task"]) is tasks.purge_task_results
    row(SUCCESSFUL, 8, timezone.now())
    assert tasks.purge_task_results.call() == {"successful": 1, "failed": 0}
    assert not DBTaskResult.objects.exists()
