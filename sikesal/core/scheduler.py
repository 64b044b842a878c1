"""Enqueue periodic jobs (settings.SIKESAL_PERIODIC) once per time slot across all workers."""

import logging
import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from sikesal.core.models import PeriodicRun

log = logging.getLogger("sikesal.scheduler")


def run_due_jobs(worker_id, now=None):
    """Claim and enqueue every job whose current slot is unclaimed. Returns the names enqueued."""
    now = time.time() if now is None else now
    enqueued = []
    for name, spec in settings.SIKESAL_PERIODIC.items():
        slot = int(now // spec["every_seconds"])
        try:
            with transaction.atomic():
                PeriodicRun.objects.create(name=name, slot=slot, worker=worker_id[:64])
                import_string(spec["task"]).enqueue()
        except IntegrityError:
            continue  # another worker claimed this slot
        enqueued.append(name)
        log.info("enqueued periodic job %s (slot %s)", name, slot)
    return enqueued


def prune(keep_slots=50):
    """Keep the table small: only recent claims matter."""
    for name in settings.SIKESAL_PERIODIC:
        ids = PeriodicRun.objects.filter(name=name).order_by("-slot").values_list("pk", flat=True)[keep_slots:]
        PeriodicRun.objects.filter(pk__in=list(ids)).delete()
