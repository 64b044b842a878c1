"""Outbound: local changes become SP4N-LAPOR! calls, through a durable outbox.

`on_event` (a timeline side effect) only writes outbox rows; `push` sends them. A row is leased
before its call and finished after it, so a worker killed mid-call leaves a row that another run
retries after the lease ends. Every call carries a key derived from the row, so the retry is the
same request; a create also tags the remote report with our tracking number, so the pull can link
a report whose create answer was lost even where the key is not honoured.
"""

import datetime as dt
import logging
import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from sikesal.complaints.models import Attachment, Complaint
from sikesal.complaints.states import Channel, Visibility
from sikesal.integrations.lapor import mapping
from sikesal.integrations.lapor.client import LaporClient, Rejected, Unavailable, is_enabled
from sikesal.integrations.lapor.models import Link, Master, Outbox, OutboxKind, OutboxStatus, RemoteFollowup

log = logging.getLogger("sikesal.lapor")
LEASE = dt.timedelta(minutes=2)
K = OutboxKind


# --- From events to rows ------------------------------------------------------------------------------


def on_event(event):
    """Queue what this event means for SP4N-LAPOR! Runs inside the change's transaction; idempotent."""
    if not is_enabled() or event.action == "lapor_mirror":
        return
    c = event.complaint
    action = event.action
    at_verification = settings.LAPOR_OUTBOUND_AT == "verification"
    mirrored = c.channel == Channel.LAPOR or Outbox.objects.filter(complaint=c, kind=K.CREATE).exists()
    if action == "submit":
        if c.channel != Channel.LAPOR and not at_verification:
            _queue(c, K.CREATE, event=None)
        return
    if action in ("verify", "forward_external") and not mirrored and c.channel != Channel.LAPOR:
        _queue(c, K.CREATE, event=None)  # verification policy (or forwarded before verification)
        mirrored = True
        if action == "verify":
            return  # the create carries the OPD
    if not mirrored:
        return
    if action in mapping.ROUTE_EVENTS:
        _queue(c, K.ROUTE, event)
    elif action in mapping.REJECT_EVENTS:
        _queue(c, K.REJECT, event)
    elif action in mapping.FOLLOWUP_EVENTS and event.visibility != Visibility.STAFF:
        _queue(c, K.FOLLOWUP, event)


def _queue(complaint, kind, event):
    try:
        with transaction.atomic():
            _, created = Outbox.objects.get_or_create(
                complaint=complaint,
                kind=kind,
                event=event,
                defaults={"next_attempt_at": timezone.now()},
            )
    except IntegrityError:  # a create row already exists (the one-create constraint)
        return
    if created:
        from sikesal.integrations.lapor.tasks import lapor_push

        transaction.on_commit(lapor_push.enqueue)  # quickly, rather than at the next periodic sync


def queue_create(complaint):
    """Used by reconcile for a local report that never went out."""
    _queue(complaint, K.CREATE, None)


# --- Sending ----------------------------------------------------------------------------------------


def _claim(now, tried=()):
    """Lease the next due row whose report has no earlier row still waiting (order per report)."""
    earlier = Outbox.objects.filter(complaint=OuterRef("complaint"), id__lt=OuterRef("id")).filter(
        Q(status=OutboxStatus.PENDING) | Q(status=OutboxStatus.PARKED, kind=K.CREATE)
    )
    candidates = (
        Outbox.objects.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .exclude(Exists(earlier))
        .exclude(id__in=list(tried))
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:20]
    )
    for row_id in candidates:
        claimed = (
            Outbox.objects.filter(pk=row_id, status=OutboxStatus.PENDING)
            .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
            .update(leased_until=now + LEASE)
        )
        if claimed:  # another worker may have taken it between the select and the update
            return Outbox.objects.select_related("complaint", "event").get(pk=row_id)
    return None


def push(client=None, *, max_seconds=None, progress=None):
    """Send every due outbox row. Returns counts: sent, retry, parked."""
    counts = {"sent": 0, "retry": 0, "parked": 0}
    if not is_enabled():
        return counts
    own = client is None
    client = client or LaporClient()
    if not Master.objects.filter(kind="institutions").exists():
        from sikesal.integrations.lapor.masters import sync_masters

        try:
            sync_masters(client)  # the OPDs' ids are needed first; without them the city's id is used
        except Unavailable as exc:
            log.warning("lapor masters not synced yet: %s", exc)
    deadline = time.monotonic() + (max_seconds or settings.LAPOR_SYNC_MAX_SECONDS)
    tried = set()  # one attempt per row and run: a failing row waits for its backoff, not this loop
    try:
        while time.monotonic() < deadline:
            row = _claim(timezone.now(), tried)
            if row is None:
                break
            tried.add(row.pk)
            outcome = send(row, client)
            counts[outcome] += 1
            if progress:
                progress(counts)
    finally:
        if own:
            client.close()
    return counts


def send(row, client):
    row.attempts += 1
    Outbox.objects.filter(pk=row.pk).update(attempts=row.attempts)
    try:
        SENDERS[row.kind](row, client)
    except Unavailable as exc:
        wait = settings.LAPOR_RETRY_BASE_SECONDS * 2 ** min(row.attempts - 1, 10)
        wait = max(min(wait, settings.LAPOR_RETRY_MAX_SECONDS), exc.retry_after or 0)
        Outbox.objects.filter(pk=row.pk).update(
            leased_until=None, next_attempt_at=timezone.now() + dt.timedelta(seconds=wait), last_error=str(exc)[:2000]
        )
        return "retry"
    except (Rejected, ValueError) as exc:
        log.warning("lapor outbox %s (%s) parked: %s", row.pk, row.kind, exc)
        Outbox.objects.filter(pk=row.pk).update(
            status=OutboxStatus.PARKED, leased_until=None, last_error=str(exc)[:2000]
        )
        return "parked"
    Outbox.objects.filter(pk=row.pk).update(
        status=OutboxStatus.DONE, leased_until=None, done_at=timezone.now(), last_error="", state=row.state
    )
    return "sent"


def _save_state(row):
    Outbox.objects.filter(pk=row.pk).update(state=row.state)


def _key(row, step):
    return f"sikesal-{row.pk}-{step}"


def remote_institution_id(institution):
    """The OPD's id on SP4N-LAPOR!, when the synced master knows it; otherwise the city's own id."""
    city = mapping.city_institution_id()
    if institution is None or not institution.lapor_institution_id:
        return city
    # Only an id the synced master confirms: a wrong one would be refused and block the report.
    if not Master.objects.filter(kind="institutions", remote_id=institution.lapor_institution_id).exists():
        return city
    try:
        return int(institution.lapor_institution_id)
    except ValueError:
        return city


def _files(attachments):
    out = []
    for att in attachments:
        with att.file.open("rb") as fh:
            out.append((f"lampiran-{att.pk}.{att.extension}", att.content_type, fh.read()))
    return out


def _send_create(row, client):
    c = Complaint.objects.select_related("institution", "service", "area").get(pk=row.complaint_id)
    if hasattr(c, "lapor_link"):  # the pull already linked it by its tag (the create answer was lost)
        row.state["complaint_id"] = c.lapor_link.remote_id
        return
    atts = Attachment.objects.filter(complaint=c, event__isnull=True, visibility=Visibility.PUBLIC)
    if atts and "docs" not in row.state:
        row.state["docs"] = client.upload(_files(atts), _key(row, "upload"))
        _save_state(row)  # resumable: a retry does not upload again
    fields = {
        "title": c.title,
        # Only the report's own words: never the reporter's NIK, phone or address (lapor-api.md).
        "content": c.body,
        "channel": mapping.CHANNELS.get(c.channel, mapping.DEFAULT_CHANNEL_ID),
        "classification_id": mapping.CLASSIFICATIONS.get(c.type, 1),
        "category_id": int(c.service.lapor_category_id)
        if c.service and c.service.lapor_category_id.isdigit()
        else None,
        "disposition_id": remote_institution_id(c.institution),
        "location_id": mapping.location_id(c.area_id),
        "date_of_incident": c.incident_date.isoformat() if c.incident_date else None,
        "is_anonymous": int(c.is_anonymous),
        "is_secret": int(c.is_secret),
        "is_priority": 0,
        "tags_raw": mapping.tag_for(c.tracking_number),
        "attachments": row.state.get("docs", []),
    }
    results = client.create(fields, _key(row, "create"))
    remote_id = str(results.get("complaint_id") or (results.get("data") or {}).get("id") or "")
    if not remote_id:
        raise Unavailable("the create answer has no complaint_id")
    tracking = str(results.get("tracking_id") or (results.get("data") or {}).get("tracking_id") or "")
    link(c, remote_id, tracking, Link.Origin.LOCAL)
    row.state["complaint_id"] = remote_id


def link(complaint, remote_id, tracking, origin):
    """Record the twin on both the link table and the report (shown to staff and the reporter)."""
    with transaction.atomic():
        obj, created = Link.objects.get_or_create(
            complaint=complaint, defaults={"remote_id": remote_id, "tracking_id": tracking, "origin": origin}
        )
        Complaint.objects.filter(pk=complaint.pk).update(
            lapor_complaint_id=obj.remote_id, lapor_tracking_id=obj.tracking_id or tracking
        )
    return obj


def _remote_id(row):
    link_row = Link.objects.filter(complaint_id=row.complaint_id).first()
    if link_row is None:
        raise ValueError("the report is not on SP4N-LAPOR! (its create was refused)")
    return link_row.remote_id


def _send_route(row, client):
    c = Complaint.objects.select_related("institution").get(pk=row.complaint_id)
    client.disposition(_remote_id(row), remote_institution_id(c.institution), _key(row, "route"))


def _send_reject(row, client):
    event = row.event
    target = None
    if event and event.payload.get("lapor_institution_id"):
        target = event.payload["lapor_institution_id"]
    if not target:
        c = Complaint.objects.select_related("forwarded_to").get(pk=row.complaint_id)
        target = c.forwarded_to.lapor_institution_id if c.forwarded_to else None
    if not target:
        raise ValueError("the institution it was forwarded to has no SP4N-LAPOR! id")
    client.reject(_remote_id(row), target, event.message if event else "", _key(row, "reject"))


def _send_followup(row, client):
    event = row.event
    c = Complaint.objects.select_related("institution").get(pk=row.complaint_id)
    template, fixed = mapping.FOLLOWUP_EVENTS[event.action]
    content = event.message or fixed
    if event.action == "confirm" and c.rating:
        content = f"{content} Penilaian pelapor: {c.rating}/5."
    atts = Attachment.objects.filter(event=event).exclude(visibility=Visibility.STAFF)
    fields = {
        "complaint_id": _remote_id(row),
        "institution_from_id": remote_institution_id(c.institution),
        "content": content or "-",
        "is_secret": int(c.is_secret),
        "template_code": template,
    }
    answer = client.add_followup(fields, _files(atts), _key(row, "followup"))
    remote_id = str(answer.get("id") or "")
    if remote_id:
        RemoteFollowup.objects.get_or_create(
            remote_id=remote_id, defaults={"complaint_id": c.pk, "direction": "out", "event": event}
        )
        row.state["followup_id"] = remote_id


SENDERS = {K.CREATE: _send_create, K.ROUTE: _send_route, K.REJECT: _send_reject, K.FOLLOWUP: _send_followup}
