"""Background tasks of the complaints app, run by `manage.py worker`."""

import logging

from django.utils import timezone
from django_tasks import task

from sikesal.complaints.models import Event, PendingEffect

log = logging.getLogger("sikesal.tasks")


@task()
def dispatch_event(event_id, only=None, attempt=1):
    """Tasks queued by a release before the batched queue (complaints/effect_queue.py) still run: their
    event goes onto the queue with the handlers it still needed."""
    if Event.objects.filter(pk=event_id).exists():
        PendingEffect.objects.create(
            event_id=event_id, handlers=list(only or []), attempt=attempt, run_after=timezone.now()
        )


@task()
def sweep_deadlines():
    from sikesal.complaints.sweep import sweep

    result = sweep()
    log.info("deadline sweep: %s", result)
    return result.__dict__
