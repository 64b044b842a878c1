"""Worker tasks of the core app: keeping the task queue's own table (django-tasks-db's DBTaskResult) small.

Every task leaves its row behind when it finishes, thousands a day (notifications, SP4N-LAPOR! pushes,
retries). Finished rows are kept a while for the admin's task list (Django admin, "Task results"): a
successful one for SUCCESSFUL_DAYS, a failed one for FAILED_DAYS so there is time to read why it failed.
A waiting or running row is never touched: the queue (and core/workers.py's requeueing) still needs it.
"""

import datetime as dt
import logging

from django.utils import timezone
from django_tasks import task
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

log = logging.getLogger("sikesal.tasks")

SUCCESSFUL_DAYS = 7
FAILED_DAYS = 30
# Rows per DELETE: each is its own transaction, so a first run on a large table gives SQLite's write lock
# back between chunks instead of holding it for the whole purge.
CHUNK = 5000


def purge(now=None):
    """Delete finished task rows past their period. Returns {"successful": n, "failed": n} deleted."""
    now = now or timezone.now()
    deleted = {}
    for status, days in ((TaskResultStatus.SUCCESSFUL, SUCCESSFUL_DAYS), (TaskResultStatus.FAILED, FAILED_DAYS)):
        # order_by(): the model's default ordering would sort every old row to pick a chunk.
        old = DBTaskResult.objects.filter(status=status, finished_at__lt=now - dt.timedelta(days=days)).order_by()
        deleted[status.lower()] = 0
        # The status and age are checked again in the DELETE itself, not only when the chunk is chosen.
        while n := old.filter(pk__in=old.values("pk")[:CHUNK]).delete()[0]:
            deleted[status.lower()] += n
    log.info("task results purged: %s", deleted)
    return deleted


@task()
def purge_task_results():
    return purge()
