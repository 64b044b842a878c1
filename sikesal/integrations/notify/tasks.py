"""Delivering reporter notifications from the worker, with retries and exponential backoff."""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django_tasks import task

from sikesal.complaints import actions
from sikesal.complaints.states import Status
from sikesal.integrations.notify.models import Notification
from sikesal.integrations.notify.transports import send

log = logging.getLogger("sikesal.notify")
MAX_ATTEMPTS = 6


def _context(event):
    """What the message says, from the event itself: the status it reached and its action's label, not the
    report's state when the worker gets to it. The one thing it asks of the reporter, with the reporter's own
    deadline, is left out once the report has moved past that state (the ask no longer holds).

    No message carries the private link: only its hash is stored, so the worker cannot know it. The reporter
    acts through the private link shown at filing or through "My reports" (a one-time code to this contact)."""
    complaint = event.complaint
    spec = actions.spec(event.action)
    status = Status(event.to_status).label if event.to_status in Status.values else complaint.get_status_display()
    ask = ""
    due = getattr(complaint, spec.reporter_deadline) if spec.reporter_deadline else None
    still_asked = not spec.reporter_deadline or (due is not None and complaint.status == event.to_status)
    if spec.asks_reporter and still_asked:
        when = formats.date_format(timezone.localtime(due), "j F Y") if due else ""
        ask = str(spec.asks_reporter) % {"due": when, "target": event.payload.get("target", "")}
    return {
        "event": event,
        "complaint": complaint,
        "label": spec.label,
        "status": status,
        "ask": ask,
        "site_url": settings.SITE_URL,
        "track_url": settings.SITE_URL + reverse("portal:track_detail", args=[complaint.tracking_number]),
        "account_url": settings.SITE_URL + reverse("portal:login"),
    }


def _message(notification):
    event = notification.event
    with translation.override(settings.LANGUAGE_CODE):
        context = _context(event)
        if notification.channel == "email":
            subject = render_to_string("complaints/mail/update_subject.txt", context).strip()
            return subject, render_to_string("complaints/mail/update_body.txt", context)
        return "", render_to_string("notify/short.txt", context).strip()


def deliver_all(notification_ids):
    """The notifications of one batch of events (complaints/effect_queue.py), read in one query; each is
    still sent under its own row lock, so it goes out once."""
    pending = Notification.objects.select_related("event__complaint").filter(
        pk__in=notification_ids, state=Notification.State.PENDING
    )
    for n in pending:
        try:
            deliver(n)
        except Exception:  # e.g. the database, mid-batch: this one goes on its own later, the rest now
            log.exception("notification %s: delivery failed; retried alone", n.pk)
            send_notification.using(run_after=timezone.now() + dt.timedelta(seconds=30)).enqueue(n.pk)


@task()
def send_notification(notification_id):
    """One notification (a retry, with its own backoff)."""
    n = Notification.objects.select_related("event__complaint").filter(pk=notification_id).first()
    if n is not None:
        deliver(n)


def deliver(n):
    with transaction.atomic():
        # Locked and read again: another worker may have sent it since it was loaded.
        current = list(Notification.objects.select_for_update().filter(pk=n.pk).values_list("state", "attempts"))
        if not current or current[0][0] != Notification.State.PENDING:
            return  # already delivered or given up: a duplicate task changes nothing
        n.state, n.attempts = Notification.State.PENDING, current[0][1] + 1
        try:
            subject, body = _message(n)
            send(n.channel, n.to, subject, body)
        except Exception as exc:  # any failure of the transport is retried, never lost silently
            n.last_error = str(exc)[:300]
            if n.attempts >= MAX_ATTEMPTS:
                n.state = Notification.State.FAILED
                log.warning("notification %s failed for good: %s", n.pk, exc)
            else:
                delay = dt.timedelta(seconds=30 * 2 ** (n.attempts - 1))
                send_notification.using(run_after=timezone.now() + delay).enqueue(n.pk)
        else:
            n.state = Notification.State.SENT
            n.sent_at = timezone.now()
        Notification.objects.filter(pk=n.pk).update(
            state=n.state, attempts=n.attempts, last_error=n.last_error, sent_at=n.sent_at
        )
