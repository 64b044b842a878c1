"""Run the background worker, the events' side effects (in batches), the citizens' messages on the messaging
channels and the periodic scheduler in one process.

SIGINT/SIGTERM stop it cleanly: a running task finishes, then the process exits. A heartbeat thread keeps
the worker's sign of life fresh and requeues the tasks of workers that died mid-task (core/workers.py).
"""

import logging
import threading

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from sikesal.complaints import effect_queue, effects
from sikesal.core import scheduler, warmup, workers
from sikesal.core.sqlite.base import CHECKPOINT_SECONDS, checkpoint
from sikesal.integrations.inbound import lookups
from sikesal.integrations.inbound import processing as inbound

log = logging.getLogger("sikesal.worker")
# How often an idle worker looks for citizens' messages (WhatsApp, SMS, e-mail): four cheap looks a second,
# so an answer leaves within a quarter of a second of the message.
INBOUND_POLL_SECONDS = 0.25


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
        beat = (lambda: workers.beat(worker_id), workers.requeue_orphans)
        # Now, before the first claim (so no one takes this worker for dead, and a restart after a crash picks
        # up what the dead worker left running), then on a thread.
        for step in beat:
            step()
        heartbeat = max(1, settings.SIKESAL_WORKER_HEARTBEAT_SECONDS)
        self._every(heartbeat, stop, "worker heartbeat", *beat, start_after=heartbeat)
        if connection.vendor == "sqlite" and not batch:
            self._every(CHECKPOINT_SECONDS, stop, "WAL checkpoint", lambda: checkpoint(connection))
        if batch:
            if not no_scheduler:
                scheduler.run_due_jobs(worker_id)
        elif not no_scheduler:
            self._every(
                schedule_interval, stop, "scheduler run", lambda: scheduler.run_due_jobs(worker_id), scheduler.prune
            )

        def tasks_worker():
            return Worker(
                queue_names=["*"],
                interval=interval,
                batch=batch,
                backend_name="default",
                startup_delay=not batch,
                max_tasks=None,
                worker_id=worker_id,
                excluded_queue_names=[],
            )

        worker = tasks_worker()
        worker.configure_signals()
        # The handlers' modules (the routing model's scikit-learn among them) loaded now, and with the rest
        # kept out of the garbage collector's full collections (core/warmup.py): a pause of 100-200 ms
        # there, in a batch's transaction, held SQLite's write lock and every citizen filing a report.
        effects.handlers()
        warmup.freeze()
        effects_thread = inbound_thread = None
        self.stdout.write(f"SIKESAL worker {worker_id} started")
        try:
            if batch:
                # Until the queues are empty: tasks make events (a pull), events make tasks (a push), and a
                # citizen's message makes events (a report filed).
                for _ in range(20):
                    inbound.drain()
                    effect_queue.drain()
                    tasks_worker().run()
                    if not effect_queue.due().exists() and not lookups.senders_waiting(1):
                        break
            else:
                # The events' side effects on their own thread, in batches, and the citizens' messages on
                # another, beside the tasks.
                effects_thread = self._effects_loop(interval, stop)
                # One thread handles the messages (a second one in the same process made each message cost
                # 25% more CPU, bench/whatsapp.py 2026-12-07); the answers go out on threads of their own.
                inbound_thread = self._inbound_loop(min(interval, INBOUND_POLL_SECONDS), stop)
                worker.run()
        finally:
            stop.set()
            for thread in (effects_thread, inbound_thread):
                if thread is not None:  # a clean stop finishes its batch (its sender) rather than leave it
                    thread.join(timeout=60)
            try:
                close_old_connections()
                workers.forget(worker_id)
            except Exception:  # the database may be what stopped us; the heartbeat then simply goes stale
                log.exception("could not remove the worker heartbeat")

    @staticmethod
    def _effects_loop(interval, stop):
        def loop():
            while not stop.is_set():
                try:
                    close_old_connections()
                    done = effect_queue.drain(max_seconds=30, gather_below=effect_queue.GATHER_BELOW)
                    # Nothing due: poll again later. A small batch: let the next one gather a moment.
                    stop.wait(min(interval, effect_queue.GATHER_SECONDS) if done else interval)
                except Exception:  # a database hiccup must not end the loop
                    log.exception("side effects batch failed")
                    stop.wait(max(interval, 1))
                finally:
                    close_old_connections()

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        return thread

    @staticmethod
    def _inbound_loop(poll, stop):
        def loop():
            sending = inbound.Sending(settings.SIKESAL_INBOUND_SENDING_THREADS)
            while not stop.is_set():
                try:
                    close_old_connections()
                    # Nothing waits: look again in a moment (a message waits at most this long for the
                    # worker), writing sent what comes back meanwhile.
                    if inbound.drain(max_seconds=30, sending=sending):
                        continue
                    if sending.in_flight:
                        sending.record(wait=poll)
                    else:
                        stop.wait(poll)
                except Exception:  # a database hiccup must not end the loop
                    log.exception("inbound messages failed")
                    stop.wait(max(poll, 1))
                finally:
                    close_old_connections()
            try:
                sending.finish(timeout=30)
            except Exception:  # the database may be what stops us: the claims go again after their lease
                log.exception("answers on their way could not be written sent")

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        return thread

    @staticmethod
    def _every(seconds, stop, what, *steps, start_after=0):
        """Run the steps every `seconds` (the first time after `start_after`) on a daemon thread until `stop`
        is set."""

        def loop():
            stop.wait(start_after)
            while not stop.is_set():
                try:
                    close_old_connections()
                    for step in steps:
                        step()
                except Exception:  # a database hiccup must not end the loop
                    log.exception("%s failed", what)
                finally:
                    close_old_connections()
                stop.wait(seconds)

        threading.Thread(target=loop, daemon=True).start()
