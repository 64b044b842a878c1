"""Background tasks of the complaints app, run by `manage.py worker`."""

import logging

from django_tasks import task

from sikesal.complaints.models import Event

log = logging.getLogger("sikesal.tasks")

# Side effects of a timeline event, in order. Apps (notifications, the escalation ladder, later the
# LAPOR! sync) add their handler in AppConfig.ready(); each must be idempotent: a task may run twice.
EVENT_HANDLERS = []


@task()
def dispatch_event(event_id):
    event = Event.objects.select_related("complaint").filter(pk=event_id).first()
    if event is None:  # the change was rolled back after all (cannot happen with the DB backend)
        return
    for handler in EVENT_HANDLERS:
        handler(event)


@task()
def sweep_deadlines():
    from sikesal.complaints.sweep import sweep

    result = sweep()
    log.info("deadline sweep: %s", result)
    return result.__dict__
