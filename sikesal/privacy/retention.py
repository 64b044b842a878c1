"""Retention that runs by itself: each data class (privacy/classes.py) past its period in
settings.SIKESAL_RETENTION is anonymised or deleted, daily (SIKESAL_PERIODIC "apply_retention") or by
`manage.py apply_retention [--dry-run]`.

Set-based: reports are taken in ranges of ids (`CHUNK` wide), each range in a handful of statements
(privacy/anonymise.py); the other classes are one UPDATE or DELETE per range of their own ids. Idempotent:
an anonymised report carries `anonymised_at`, an anonymised address starts with "anon:", deleted rows are
gone. Safe with several workers: the scheduler runs the job once per day across workers, and a manual run
at the same time cannot take the same report (core/leases.py claims each range's reports in the
transaction that scrubs them; the other steps only change rows that still match them).

The identity period ends everything tied to the person at once (anonymise.scrub); attachments and
notifications can be given shorter periods, which the steps of their own apply to reports still waiting
for their identity period.
"""

import datetime as dt
import logging
import time
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Min, Q
from django.utils import timezone
from django_tasks import task

from sikesal.accounts.models import User, citizen_username
from sikesal.backoffice.models import AuditEntry
from sikesal.complaints.models import BlockedSender, Complaint
from sikesal.integrations.inbound.models import Conversation, InboundMessage, OutboundMessage
from sikesal.integrations.lapor.models import Parked
from sikesal.integrations.notify.models import Notification
from sikesal.integrations.webpush.models import PushSubscription
from sikesal.privacy import anonymise

log = logging.getLogger("sikesal.privacy")

CHUNK = anonymise.CHUNK
REASON = "retention (SIKESAL_RETENTION)"
LIVE_LOGS = {"access.log", "sikesal.log"}  # written now; the host's logrotate renames them


@task()
def apply_retention():
    return apply()


def cutoff(key, now):
    return now - dt.timedelta(days=settings.SIKESAL_RETENTION[key])


def apply(now=None, dry_run=False):
    """Apply every class's period at `now`. Returns {step: rows (or files) changed} (with --dry-run: the rows
    that would be), and logs it; a run that changed anything leaves one audit entry."""
    now = now or timezone.now()
    started = time.perf_counter()
    counts = anonymise.Counts()
    closed_before = cutoff("identity", now)
    result = {
        "reports": reports(closed_before, now, counts, dry_run),
        "attachments": attachments(cutoff("attachments", now), dry_run) + counts.attachments,
        "notifications": notifications(cutoff("notifications", now), dry_run),
        "messages": messages(cutoff("messages", now), dry_run) + counts.messages,
        "blocked_senders": blocked_senders(closed_before, dry_run),
        "accounts": accounts(closed_before, dry_run),
        "access_logs": access_logs(cutoff("access_logs", now), dry_run),
        "audit": audit_entries(cutoff("audit", now), dry_run),
    }
    if not dry_run:
        if counts.reports:
            anonymise.purge_search_index()
        if any(result.values()):
            AuditEntry.objects.create(kind=AuditEntry.Kind.ANONYMISE, reason=REASON, detail=result)
    log.info(
        "retention%s: %s in %.1f s",
        " (dry run)" if dry_run else "",
        ", ".join(f"{k} {v}" for k, v in result.items()),
        time.perf_counter() - started,
    )
    return result


def ranges(queryset):
    """(low, high) id ranges `CHUNK` wide over `queryset`, from its lowest id to its highest."""
    bounds = queryset.aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return
    for low in range(bounds["low"], bounds["high"] + 1, CHUNK):
        yield low, low + CHUNK


def reports(closed_before, now, counts, dry_run):
    due = Complaint.objects.filter(closed_at__lt=closed_before, anonymised_at__isnull=True)
    if dry_run:
        return due.count()
    for low, high in ranges(due):
        anonymise.claim_and_scrub(due.filter(pk__gte=low, pk__lt=high), now, counts)
    return counts.reports


def attachments(closed_before, dry_run):
    """The reporter's files of reports closed long enough, before their identity period ends."""
    due = Complaint.objects.filter(closed_at__lt=closed_before, anonymised_at__isnull=True)
    deleted = 0
    for low, high in ranges(due):
        ids = list(due.filter(pk__gte=low, pk__lt=high).values_list("pk", flat=True))
        if dry_run:
            deleted += anonymise.reporters_files(ids).count()
            continue
        with transaction.atomic():
            deleted += anonymise.delete_reporters_files(ids)
    return deleted


def notifications(closed_before, dry_run):
    """The addresses notifications of reports closed long enough went to, and the browsers following them
    (an anonymised report has neither any more)."""
    due = Complaint.objects.filter(closed_at__lt=closed_before, anonymised_at__isnull=True)
    changed = 0
    for low, high in ranges(due):
        in_range = due.filter(pk__gte=low, pk__lt=high)
        sent = Notification.objects.filter(event__complaint__in=in_range).exclude(to__startswith="anon:")
        pushes = PushSubscription.objects.filter(complaint__in=in_range)
        if dry_run:
            changed += sent.count() + pushes.count()
            continue
        changed += anonymise.forget_notified(sent)
        changed += pushes.delete()[0]
    return changed


def messages(before, dry_run):
    """Messages on messaging channels, their conversations, and SP4N-LAPOR! payloads a person resolved."""
    olds = (
        InboundMessage.objects.filter(received_at__lt=before),
        OutboundMessage.objects.filter(created_at__lt=before),
        Conversation.objects.filter(updated_at__lt=before),
        Parked.objects.filter(created_at__lt=before, resolved_at__isnull=False),
    )
    if dry_run:
        return sum(q.count() for q in olds)
    deleted = 0
    for old in olds:
        for low, high in ranges(old):
            deleted += old.filter(pk__gte=low, pk__lt=high).delete()[0]
    return deleted


def blocked_senders(ended_before, dry_run):
    """Block-list entries lifted or expired long enough ago keep why and when, not whose address."""
    ended = BlockedSender.objects.filter(
        Q(lifted_at__lt=ended_before) | Q(lifted_at__isnull=True, expires_at__lt=ended_before)
    ).exclude(address__startswith="anon:")
    if dry_run:
        return ended.count()
    return ended.update(address=anonymise.anonymous_address())


def accounts(idle_before, dry_run):
    """Citizen accounts not used for the identity period whose reports were all anonymised."""
    idle = (
        User.objects.filter(username__startswith=citizen_username(""), is_active=True)
        .filter(Q(last_login__lt=idle_before) | Q(last_login__isnull=True, date_joined__lt=idle_before))
        .exclude(reports__isnull=False)
    )
    return idle.count() if dry_run else anonymise.close_accounts(idle)


def access_logs(before, dry_run):
    """Rotated log files (access.log.1, sikesal.log-20261201.gz, …) older than the period."""
    old = [
        path
        for path in Path(settings.DATA_DIR, "logs").iterdir()
        if path.is_file() and path.name not in LIVE_LOGS and path.stat().st_mtime < before.timestamp()
    ]
    if not dry_run:
        for path in old:
            path.unlink(missing_ok=True)
    return len(old)


def audit_entries(before, dry_run):
    old = AuditEntry.objects.filter(at__lt=before)
    if dry_run:
        return old.count()
    deleted = 0
    for low, high in ranges(old):
        deleted += old.filter(pk__gte=low, pk__lt=high).delete()[0]
    return deleted
