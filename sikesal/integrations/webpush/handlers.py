"""Web Push to the browsers following a report: the event handler and the one send.

Which events push is the action table's (complaints/actions.py `tells_reporter`, like the e-mail and SMS),
and the text is its label: "JBI-2611-AB2C: Diverifikasi dan didisposisikan". Never the title, the body,
a rahasia report's content or who filed it: anyone with the number may follow a report.
"""

import json
import logging

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from pywebpush import WebPushException, webpush

from sikesal.complaints import actions
from sikesal.complaints.states import Visibility
from sikesal.integrations.notify import channels
from sikesal.integrations.notify.channels import Contact
from sikesal.integrations.webpush import vapid
from sikesal.integrations.webpush.models import PushSubscription

log = logging.getLogger("sikesal.webpush")

GONE = {404, 410}  # the push service no longer knows the subscription: forget it
TTL_SECONDS = 3 * 24 * 3600  # a phone off for a long weekend still gets it


def payload(event):
    """What the push says, in the site's language: the tracking number and the action's public label."""
    complaint = event.complaint
    with translation.override(settings.LANGUAGE_CODE):
        context = {"complaint": complaint, "label": str(actions.LABELS[event.action])}
        message = channels.for_contact(Contact.PUSH).render(context)
        return {
            "title": message.subject,
            "body": message.body,
            "url": reverse("portal:track_detail", args=[complaint.tracking_number]),
            "tag": complaint.tracking_number,
        }


def send(subscription, data):
    """One encrypted push (aes128gcm, VAPID-signed). Returns False when the subscription is gone (and
    deletes it); raises on any other failure, so the handler is retried."""
    info = {"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}}
    try:
        webpush(
            info,
            json.dumps(data),
            vapid_private_key=vapid.private_key(),
            vapid_claims=vapid.claims(),
            ttl=TTL_SECONDS,
            timeout=10,
        )
    except WebPushException as exc:
        status = getattr(exc.response, "status_code", None)
        if status in GONE:
            log.info("push subscription %s is gone (%s): deleted", subscription.pk, status)
            subscription.delete()
            return False
        raise
    return True


def push_status(event):
    """Event handler (complaints/effects.py, after notify_reporter): push the events that tell the reporter
    to every browser following the report. Idempotent: each subscription remembers the last event sent."""
    if event.action not in actions.TELLS_REPORTER or event.visibility == Visibility.STAFF:
        return
    followers = list(PushSubscription.objects.filter(complaint_id=event.complaint_id, last_event_id__lt=event.pk))
    if not followers:
        return
    data = payload(event)
    failed = 0
    for subscription in followers:
        try:
            if send(subscription, data):
                PushSubscription.objects.filter(pk=subscription.pk).update(last_event_id=event.pk)
        except Exception:
            log.exception("push to subscription %s failed", subscription.pk)
            failed += 1
    if failed:
        raise RuntimeError(f"{failed} push(es) failed for event {event.pk}")


def push_many(events):
    """A batch of events (complaints/effect_queue.py): one query finds whether any report is followed."""
    followed = set(
        PushSubscription.objects.filter(complaint_id__in={e.complaint_id for e in events}).values_list(
            "complaint_id", flat=True
        )
    )
    failed = 0
    for event in events:
        if event.complaint_id in followed:
            try:
                push_status(event)
            except RuntimeError:
                failed += 1
    if failed:  # the queue then runs the handler per event, and retries only the failed ones
        raise RuntimeError(f"push failed for {failed} event(s) of the batch")
