"""Delivering reporter notifications from the worker, with retries and exponential backoff."""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django_tasks import task

from sikesal.integrations.notify.models import Notification
from sikesal.integrations.notify.transports import send

log = logging.getLogger("sikesal.notify")
MAX_ATTEMPTS = 6


def _message(notification):
    event = notification.event
    context = {"event": event, "complaint": event.complaint, "site_url": settings.SITE_URL}
    with translation.override(settings.LANGUAGE_CODE):
        if notification.channel == "email":
            subject = render_to_string("complaints/mail/update_subject.txt", context).strip()
            return subject, render_to_string("complaints/mail/update_body.txt", context)
        return "", render_to_string("notify/short.txt", context).strip()


@task()
def send_notification(notification_id):
    with transaction.atomic():
        n = (
            Notification.objects.select_for_update()
            .select_related("event__complaint")
            .filter(pk=notification_id)
            .first()
        )
        if n is None or n.state != Notification.State.PENDING:
            return  # already delivered or given up: a duplicate task changes nothing
        n.attempts += 1
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
        n.save()
