"""Background tasks of the complaints app, run by `manage.py worker`."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django_tasks import task

from sikesal.complaints.models import Event
from sikesal.complaints.states import Visibility

log = logging.getLogger("sikesal.tasks")

# Side effects of a timeline event, in order. Other apps (LAPOR! sync, notifications) append
# their handler in AppConfig.ready(); each handler must be idempotent, since a task may run twice.
EVENT_HANDLERS = []


def event_handler(func):
    EVENT_HANDLERS.append(func)
    return func


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


REPORTER_MAIL_ACTIONS = {
    "submit",
    "verify",
    "request_info",
    "archive",
    "return_not_authority",
    "forward_external",
    "add_followup",
    "complete_followup",
    "close_system",
    "archive_system",
    "merge",
}


@event_handler
def mail_reporter(event):
    """Tell a reporter who left an e-mail address what happened to their report."""
    if event.action not in REPORTER_MAIL_ACTIONS or event.visibility == Visibility.STAFF:
        return
    reporter = getattr(event.complaint, "reporter", None)
    if reporter is None or not reporter.email:
        return
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        context = {"event": event, "complaint": event.complaint, "site_url": settings.SITE_URL}
        subject = render_to_string("complaints/mail/update_subject.txt", context).strip()
        body = render_to_string("complaints/mail/update_body.txt", context)
    send_mail(subject, body, None, [reporter.email])
