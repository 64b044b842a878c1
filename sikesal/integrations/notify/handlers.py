"""Which timeline events reach the reporter, and on which channels."""

from django.conf import settings

from sikesal.complaints import actions
from sikesal.complaints.states import Visibility
from sikesal.integrations.notify.models import Notification
from sikesal.integrations.notify.tasks import send_notification

REPORTER_ACTIONS = actions.TELLS_REPORTER  # defined per action in complaints/actions.py


def notify_reporter(event):
    """Event handler: one notification per contact the reporter left (anonymous reporters included:
    their contact stays in the restricted Reporter row and never reaches the OPD). Public updates also
    reach the reporters of duplicates merged into this report: they follow it from then on."""
    if event.action not in REPORTER_ACTIONS or event.visibility == Visibility.STAFF:
        return
    reporters = [getattr(event.complaint, "reporter", None)]
    # A rahasia report's number, title and follow-ups are for its own reporter only: the reporters of
    # duplicates merged into it learned of the merge (on their own report) and nothing after.
    if event.visibility == Visibility.PUBLIC and event.action != "merge" and not event.complaint.is_secret:
        reporters += [getattr(d, "reporter", None) for d in event.complaint.merged.select_related("reporter")]
    contacts = []
    for reporter in reporters:
        if reporter is None:
            continue
        if reporter.email:
            contacts.append(("email", reporter.email))
        if reporter.phone:
            contacts.append((settings.SIKESAL_PHONE_CHANNEL, reporter.phone))
    for channel, to in dict.fromkeys(contacts):
        notification, created = Notification.objects.get_or_create(event=event, channel=channel, to=to)
        if created:
            send_notification.enqueue(notification.pk)
