"""Background tasks of the complaints app, run by `manage.py worker`."""

import datetime as dt
import logging

from django_tasks import task

from sikesal.complaints import effects
from sikesal.complaints.models import Event

log = logging.getLogger("sikesal.tasks")


MAX_DISPATCH_ATTEMPTS = 5


def _name(handler):
    return f"{handler.__module__}.{handler.__qualname__}"


@task()
def dispatch_event(event_id, only=None, attempt=1):
    """Run the event's side effects. A handler that fails does not stop the others; it alone is run
    again later, with backoff, so nothing is sent twice because a neighbour failed."""
    event = Event.objects.select_related("complaint").filter(pk=event_id).first()
    if event is None:  # the change was rolled back after all (cannot happen with the DB backend)
        return
    return {"failed": _dispatch(event, only, (), attempt)}


def _dispatch(event, only, skip, attempt):
    failed = []
    for handler in effects.handlers():  # in order (complaints/effects.py); each idempotent
        name = _name(handler)
        if (only is not None and name not in only) or name in skip:
            continue
        try:
            handler(event)
        except Exception:  # one handler's trouble (a mail server down) must not cost the others
            log.exception("event %s: handler %s failed (attempt %s)", event.pk, name, attempt)
            failed.append(name)
    if failed and attempt < MAX_DISPATCH_ATTEMPTS:
        from django.utils import timezone

        retry_at = timezone.now() + dt.timedelta(minutes=2**attempt)
        dispatch_event.using(run_after=retry_at).enqueue(event.pk, only=failed, attempt=attempt + 1)
    return failed


@task()
def dispatch_events(event_ids, skip=()):
    """dispatch_event for a batch of events in one task (the set-based sweep enqueues one per batch, not
    one per event). Each event's handlers run as dispatch_event runs them, except those in `skip` (told
    otherwise, e.g. in a digest); a handler that fails is retried for its event alone."""
    failed = 0
    for start in range(0, len(event_ids), 500):
        chunk = event_ids[start : start + 500]
        for event in Event.objects.select_related("complaint").filter(pk__in=chunk).order_by("pk"):
            failed += bool(_dispatch(event, None, tuple(skip), 1))
    return {"events": len(event_ids), "failed": failed}


@task()
def sweep_deadlines():
    from sikesal.complaints.sweep import sweep

    result = sweep()
    log.info("deadline sweep: %s", result)
    return result.__dict__
