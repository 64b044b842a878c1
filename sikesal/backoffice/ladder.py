"""Who hears about a deadline on each rung of the escalation ladder, and the daily digest per OPD.

Rungs (settings.SIKESAL_ESCALATION): a reminder one working day before a deadline goes to whoever
must act; at the deadline the OPD head hears too; N working days later the Sekda and the admin
koordinator. Each rung is already a staff event on the timeline (the sweep's mark_overdue); this
module turns it into e-mail.
"""

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from sikesal.catalogue.models import Institution, LiaisonContact
from sikesal.complaints import policy, timeline
from sikesal.complaints.actions import Action
from sikesal.complaints.deadlines import ADMIN, DEADLINES, LADDER_DEADLINES
from sikesal.complaints.models import Complaint, Event
from sikesal.complaints.states import CLOSED_STATES
from sikesal.integrations.notify.channels import Contact
from sikesal.integrations.notify.transports import send_to_contact


def _emails(users):
    return {u.email for u in users if u.email}


def recipients(complaint, deadline, stage):
    """E-mail addresses for one rung; the admin koordinator's own deadline never goes to an OPD."""
    admins_own = getattr(DEADLINES.get(deadline), "owner", None) == ADMIN
    admins = policy.admins_to_alert()
    executives = policy.executives_to_alert()
    opd = complaint.institution
    liaisons, heads = set(), set()
    if opd is not None:
        liaisons = _emails(policy.liaisons_to_alert(opd)) | {
            c.email for c in LiaisonContact.objects.filter(institution=opd) if c.email
        }
        heads = _emails(policy.heads_to_alert(opd)) | ({opd.head_email} if opd.head_email else set())
    own = _emails(admins) if admins_own or opd is None else liaisons
    if stage == "reminder":
        return own
    if stage == "overdue":
        return own | (set() if admins_own else heads)
    return own | heads | _emails(executives) | _emails(admins)


def notify_rung(event):
    """Event handler: mail the people on this rung (idempotent enough: one mail per event run)."""
    if event.action != Action.MARK_OVERDUE or event.payload.get("deadline") not in LADDER_DEADLINES:
        return
    complaint = event.complaint
    to = sorted(recipients(complaint, event.payload["deadline"], event.payload.get("stage", "overdue")))
    if not to:
        return
    with translation.override(settings.LANGUAGE_CODE):
        due = dt.datetime.fromisoformat(event.payload["due_at"]) if event.payload.get("due_at") else None
        context = {
            "c": complaint,
            "event": event,
            "due": due,
            "label": timeline.action_label(event),
            "site_url": settings.SITE_URL,
        }
        subject = f"[SIKESAL] {context['label']}: {complaint.tracking_number}"
        body = render_to_string("backoffice/mail/ladder.txt", context)
    send_to_contact(Contact.EMAIL, to, subject, body)


DIGEST_SAMPLE = 50  # reports listed per rung; the rest are counted and found in the inbox


def send_rung_digests(at):
    """The rungs a set-based sweep marked at the instant `at` (its events share it), told to each OPD's
    people in one e-mail per OPD and reader instead of one per rung and report: when 400,000 reports
    fall due at once, notify_rung would send a million mails. Each reader gets the rungs that
    `recipients` gives them, counted, with the first reports of each. Returns the number of mails."""
    at = dt.datetime.fromisoformat(at) if isinstance(at, str) else at
    groups = {}  # (institution id, deadline, stage) -> [count, first reports]
    rows = (
        Event.objects.filter(action=Action.MARK_OVERDUE, created_at=at)
        .order_by("pk")
        .values_list("complaint__institution_id", "complaint__tracking_number", "complaint__title", "payload")
    )
    for opd_id, tracking, title, payload in rows.iterator(chunk_size=2000):
        if payload.get("deadline") not in LADDER_DEADLINES:
            continue
        group = groups.setdefault((opd_id, payload["deadline"], payload.get("stage", "overdue")), [0, []])
        group[0] += 1
        if len(group[1]) < DIGEST_SAMPLE:
            group[1].append({"tracking_number": tracking, "title": title})
    opds = Institution.objects.in_bulk({opd_id for opd_id, _, _ in groups if opd_id})
    readers = {}  # institution id -> {address: [rung keys]}
    for key in groups:
        opd_id, deadline, stage = key
        for address in recipients(Complaint(institution=opds.get(opd_id)), deadline, stage):
            readers.setdefault(opd_id, {}).setdefault(address, []).append(key)
    sent = 0
    for opd_id, by_address in readers.items():
        mails = {}  # the same rungs -> one mail to all their readers
        for address, keys in by_address.items():
            mails.setdefault(tuple(sorted(keys, key=str)), []).append(address)
        for keys, addresses in mails.items():
            with translation.override(settings.LANGUAGE_CODE):
                rungs = [
                    {
                        "label": timeline.action_label(
                            Event(action=Action.MARK_OVERDUE, payload={"deadline": d, "stage": s})
                        ),
                        "count": groups[(o, d, s)][0],
                        "reports": groups[(o, d, s)][1],
                    }
                    for o, d, s in keys
                ]
                opd = opds.get(opd_id)
                context = {"opd": opd, "rungs": rungs, "site_url": settings.SITE_URL}
                body = render_to_string("backoffice/mail/rung_digest.txt", context)
                subject = render_to_string("backoffice/mail/rung_digest_subject.txt", context).strip()
            send_to_contact(Contact.EMAIL, sorted(addresses), subject, body)
            sent += 1
    return sent


def send_daily_digests(now=None):
    """One e-mail per OPD with reports open: counts and the overdue ones first."""
    now = now or timezone.now()
    sent = 0
    open_q = ~Q(status__in=CLOSED_STATES)
    for opd in Institution.objects.filter(complaints__isnull=False).distinct():
        reports = Complaint.objects.filter(open_q, institution=opd)
        total = reports.count()
        if not total:
            continue
        overdue = list(reports.filter(due_at__lt=now).order_by("due_at")[:20])
        to = recipients(Complaint(institution=opd), "followup_due_at", "reminder")
        if not to:
            continue
        with translation.override(settings.LANGUAGE_CODE):
            body = render_to_string(
                "backoffice/mail/digest.txt",
                {
                    "opd": opd,
                    "total": total,
                    "overdue": overdue,
                    "overdue_count": reports.filter(due_at__lt=now).count(),
                    "site_url": settings.SITE_URL,
                },
            )
        send_to_contact(Contact.EMAIL, sorted(to), f"[SIKESAL] Ringkasan harian {opd.short_name}", body)
        sent += 1
    return sent
