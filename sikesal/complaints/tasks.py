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


def enqueue_many(task_, arg_tuples):
    """`task_.enqueue(*args)` for each tuple, as one insert when the backend is the database's (the rows
    are those its `enqueue` writes, one per call, so the worker sees no difference)."""
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.compat import normalize_json, task_enqueued
    from django_tasks_db.models import DBTaskResult, get_date_max

    arg_tuples = list(arg_tuples)
    backend = task_.get_backend()
    if not isinstance(backend, DatabaseBackend):
        for args in arg_tuples:
            task_.enqueue(*args)
        return
    backend.validate_task(task_)
    rows = [
        DBTaskResult(
            id=backend._get_id(),
            args_kwargs=normalize_json({"args": tuple(args), "kwargs": {}}),
            priority=task_.priority,
            task_path=task_.module_path,
            queue_name=task_.queue_name,
            run_after=task_.run_after or get_date_max(),  # what the model's pre_save handler sets
            backend_name=backend.alias,
        )
        for args in arg_tuples
    ]
    DBTaskResult.objects.bulk_create(rows)
    if task_enqueued.has_listeners(type(backend)):
        for row in rows:
            task_enqueued.send(type(backend), task_result=row.task_result)


@task()
def sweep_deadlines():
    from sikesal.complaints.sweep import sweep

    result = sweep()
    log.info("deadline sweep: %s", result)
    return result.__dict__
