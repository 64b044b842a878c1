"""Run the background worker and the periodic scheduler in one process.

SIGINT/SIGTERM stop it cleanly: a running task finishes, then the process exits. A heartbeat thread keeps
the worker's sign of life fresh and requeues the tasks of workers that died mid-task (core/workers.py).
"""

import logging
import threading

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from sikesal.core import scheduler, workers

log = logging.getLogger("sikesal.worker")


class Command(BaseCommand):
    help = "Run tasks from the database queue and enqueue periodic jobs (deadline sweep...)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between queue polls when idle.")
        parser.add_argument("--schedule-interval", type=float, default=30.0, help="Seconds between scheduler checks.")
        parser.add_argument("--no-scheduler", action="store_true", help="Only run tasks.")
        parser.add_argument("--batch", action="store_true", help="Run the scheduler once, drain the queue, exit.")

    def handle(self, *args, interval, schedule_interval, no_scheduler, batch, **options):
        worker_id = get_random_string(24)
        stop = threading.Event()
        started_at = timezone.now()
        workers.beat(worker_id, started_at)  # before the first claim, so no one takes this worker for dead
        workers.requeue_orphans()  # a restart after a crash picks up what the dead worker left running
        threading.Thread(target=self._heartbeat, args=(worker_id, started_at, stop), daemon=True).start()
        if batch:
            if not no_scheduler:
                scheduler.run_due_jobs(worker_id)
        elif not no_scheduler:
            threading.Thread(target=self._schedule, args=(worker_id, schedule_interval, stop), daemon=True).start()
        worker = Worker(
            queue_names=["*"],
            interval=interval,
            batch=batch,
            backend_name="default",
            startup_delay=not batch,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        worker.configure_signals()
        self.stdout.write(f"SIKESAL worker {worker_id} started")
        try:
            worker.run()
        finally:
            stop.set()
            try:
                close_old_connections()
                workers.forget(worker_id)
            except Exception:  # the database may be what stopped us; the heartbeat then simply goes stale
                log.exception("could not remove the worker heartbeat")

    def _heartbeat(self, worker_id, started_at, stop):
        every = max(1, settings.SIKESAL_WORKER_HEARTBEAT_SECONDS)
        while not stop.wait(every):
            try:
                close_old_connections()
                workers.beat(worker_id, started_at)
                workers.requeue_orphans()
            except Exception:  # like the scheduler: a database hiccup must not end the heartbeat
                log.exception("worker heartbeat failed")
            finally:
                close_old_connections()

    def _schedule(self, worker_id, every, stop):
        while not stop.is_set():
            try:
                close_old_connections()
                scheduler.run_due_jobs(worker_id)
                scheduler.prune()
            except Exception:  # the scheduler must outlive a database hiccup
                log.exception("scheduler run failed")
            finally:
                close_old_connections()
            stop.wait(every)
