"""Which timeline events reach the reporter, and on which channels."""

from django.conf import settings

from sikesal.complaints.states import Visibility
from sikesal.integrations.notify.models import Notification
from sikesal.integrations.notify.tasks import send_notification

REPORTER_ACTIONS = {
    "submit",
    "verify",
    "request_info",
    "archive",
    "return_not_authority",
    "redisposition",
    "forward_external",
    "add_followup",
    "complete_followup",
    "close_system",
    "archive_system",
    "merge",
}


def notify_reporter(event):
    """Event handler: one notification per contact the reporter left (anonymous reporters included:
    their contact stays in the restricted Reporter row and never reaches the OPD)."""
    if event.action not in REPORTER_ACTIONS or event.visibility == Visibility.STAFF:
        return
    reporter = getattr(event.complaint, "reporter", None)
    if reporter is None:
        return
    contacts = []
    if reporter.email:
        contacts.append(("email", reporter.email))
    if reporter.phone:
        contacts.append((settings.SIKESAL_PHONE_CHANNEL, reporter.phone))
    for channel, to in contacts:
        notification, created = Notification.objects.get_or_create(event=event, channel=channel, defaults={"to": to})
        if created:
            send_notification.enqueue(notification.pk)
