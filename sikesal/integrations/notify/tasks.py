"""Delivering reporter notifications from the worker, with retries and exponential backoff."""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from sikesal.complaints import actions, deadlines
from sikesal.complaints.models import Complaint
from sikesal.complaints.states import Status
from sikesal.integrations.notify import channels
from sikesal.integrations.notify.models import Notification
from sikesal.integrations.notify.transports import Outbox
from sikesal.integrations.ombudsman.models import Escalation

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
    own = deadlines.started(event.action, deadlines.REPORTER)  # the reporter's deadline the action started
    due = getattr(complaint, own[0].field) if own else None
    still_asked = not own or (due is not None and complaint.status == event.to_status)
    if spec.asks_reporter and still_asked:
        when = formats.date_format(timezone.localtime(due), "j F Y") if due else ""
        ask = str(spec.asks_reporter) % {
            "due": when,
            "target": event.payload.get("target", ""),
            "ombudsman": _ombudsman_state(event.payload.get("state")),
        }
        if event.action == actions.Action.MERGE and _secret_target(complaint, event):
            # A rahasia report's number is for its own reporter only (docs/security.md): checked when the
            # message is written, so a report made rahasia after the merge is not named either.
            ask = str(_("The same problem was already reported in another report, which is handled there."))
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


def _ombudsman_state(state):
    return Escalation.State(state).label if state in Escalation.State.values else ""


def _secret_target(complaint, event):
    target = complaint.merged_into or Complaint.objects.filter(tracking_number=event.payload.get("target")).first()
    return target is None or target.is_secret


def _message(notification, channel):
    with translation.override(notification.language or settings.LANGUAGE_CODE):
        return channel.render(_context(notification.event))


# A batch's notifications are sent in chunks: each chunk is rendered and sent outside any transaction (a
# mail server that answers slowly must not hold SQLite's one write lock, nor a PostgreSQL row lock), then its
# outcomes are written in one transaction. A worker killed between the sending and the writing sends that
# chunk again when its side effects run again (complaints/effect_queue.py): at most CHUNK messages twice,
# never one lost. Two workers never hold the same notification at once: the effect queue leases each event
# to one worker, and a retry runs as its own task.
CHUNK = 50


def deliver_all(notification_ids):
    """The notifications of one batch of events (complaints/effect_queue.py), read in one query."""
    pending = list(
        Notification.objects.select_related("event__complaint")
        .filter(pk__in=notification_ids, state=Notification.State.PENDING)
        .order_by("pk")
    )
    for start in range(0, len(pending), CHUNK):
        deliver_chunk(pending[start : start + CHUNK])


@task()
def send_notification(notification_id):
    """One notification (a retry, with its own backoff)."""
    n = Notification.objects.select_related("event__complaint").filter(pk=notification_id).first()
    if n is not None and n.state == Notification.State.PENDING:
        deliver_chunk([n])


def deliver_chunk(chunk):
    errors = {}
    with Outbox() as outbox:
        for n in chunk:
            try:
                channel = channels.get(n.channel)
                outbox.send(channel, n.to, _message(n, channel), reference=n.pk)
            except Exception as exc:  # any failure of the transport is retried, never lost silently
                errors[n.pk] = str(exc)[:300] or type(exc).__name__
    sent = [n.pk for n in chunk if n.pk not in errors]
    now = timezone.now()
    with transaction.atomic():
        # Each row as it was read (still pending, same attempts): a row another worker wrote meanwhile is
        # left as that worker wrote it.
        Notification.objects.filter(pk__in=sent, state=Notification.State.PENDING).update(
            state=Notification.State.SENT, attempts=F("attempts") + 1, sent_at=now
        )
        for n in chunk:
            if n.pk in errors:
                _failed(n, errors[n.pk], now)


def _failed(n, error, now):
    attempts = n.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        state = Notification.State.FAILED
        log.warning("notification %s failed for good: %s", n.pk, error)
    else:
        state = Notification.State.PENDING
        delay = dt.timedelta(seconds=30 * 2 ** (attempts - 1))
        send_notification.using(run_after=now + delay).enqueue(n.pk)
    Notification.objects.filter(pk=n.pk, state=Notification.State.PENDING, attempts=n.attempts).update(
        state=state, attempts=attempts, last_error=error
    )
