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
    failed = []
    for handler in effects.handlers():  # in order (complaints/effects.py); each idempotent
        if only is not None and _name(handler) not in only:
            continue
        try:
            handler(event)
        except Exception:  # one handler's trouble (a mail server down) must not cost the others
            log.exception("event %s: handler %s failed (attempt %s)", event_id, _name(handler), attempt)
            failed.append(_name(handler))
    if failed and attempt < MAX_DISPATCH_ATTEMPTS:
        from django.utils import timezone

        retry_at = timezone.now() + dt.timedelta(minutes=2**attempt)
        dispatch_event.using(run_after=retry_at).enqueue(event_id, only=failed, attempt=attempt + 1)
    return {"failed": failed}


@task()
def sweep_deadlines():
    from sikesal.complaints.sweep import sweep

    result = sweep()
    log.info("deadline sweep: %s", result)
    return result.__dict__
