"""Worker liveness: heartbeats, and putting back in the queue the tasks of a worker that died running them.

django-tasks-db marks a task RUNNING when a worker claims it, and only that worker marks it finished. A
worker killed in between (SIGKILL, the OOM killer, a lost machine) would leave the task RUNNING for ever: the
report would never get its routing suggestion or its notifications. So every worker writes a heartbeat, and
every worker requeues the RUNNING tasks whose worker has been silent for SIKESAL_WORKER_STALE_SECONDS.
A task may then run twice; event handlers are idempotent for that reason (complaints.tasks).
"""

import datetime as dt
import logging
import os
import socket

from django.conf import settings
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from sikesal.core.models import WorkerHeartbeat

log = logging.getLogger("sikesal.worker")
FORGET_AFTER = dt.timedelta(days=1)


def beat(worker_id, now=None):
    """Record that this worker process is alive."""
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id[:64],
        defaults={
            "seen_at": now or timezone.now(),
            "host": socket.gethostname()[:255],
            "pid": os.getpid(),
        },
    )


def beating(pid, since):
    """Whether the worker process `pid` of this host has written a heartbeat at least one heartbeat interval
    after `since` (when it was started): it came up and its heartbeat thread runs, so a later death is a new
    fault, not a crash loop (`manage.py up`)."""
    after = since + dt.timedelta(seconds=settings.SIKESAL_WORKER_HEARTBEAT_SECONDS)
    return WorkerHeartbeat.objects.filter(pid=pid, host=socket.gethostname()[:255], seen_at__gte=after).exists()


def forget(worker_id):
    """A worker that stops cleanly has finished its task: it leaves no heartbeat behind."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id[:64]).delete()


def requeue_orphans(now=None):
    """Put RUNNING tasks whose worker has been silent too long back in the queue. Returns their ids."""
    now = now or timezone.now()
    stale = now - dt.timedelta(seconds=settings.SIKESAL_WORKER_STALE_SECONDS)
    alive = set(WorkerHeartbeat.objects.filter(seen_at__gte=stale).values_list("worker_id", flat=True))
    requeued = []
    # A task claimed within the stale time cannot be an orphan yet, whoever claimed it.
    running = DBTaskResult.objects.running().filter(started_at__lt=stale)
    for pk, worker_ids, task_path in running.values_list("pk", "worker_ids", "task_path"):
        owner = str(worker_ids[-1])[:64] if worker_ids else None
        if owner in alive:
            continue
        # Only if it is still RUNNING: its worker may have finished it meanwhile, or another one requeued it.
        if DBTaskResult.objects.filter(pk=pk, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.READY, started_at=None
        ):
            log.warning("requeued task %s (%s): its worker %s stopped while running it", pk, task_path, owner)
            requeued.append(str(pk))
    WorkerHeartbeat.objects.filter(seen_at__lt=now - FORGET_AFTER).delete()
    return requeued
