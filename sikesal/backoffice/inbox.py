"""The staff inbox: queues, filters and the paging that stays fast on large tables."""

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from sikesal.catalogue.calendar import end_of_day_utc
from sikesal.complaints import policy
from sikesal.complaints.models import Complaint
from sikesal.complaints.search import search
from sikesal.complaints.states import Status
from sikesal.core import params as params_module

HELD_STATES = (Status.RECEIVED, Status.PENDING_INFO)


def queues_for(actor):
    """(code, label, Q) for the actor's queues; the first is the landing queue."""
    from django.utils.translation import gettext_lazy as _

    now = timezone.now()
    today_end = end_of_day_utc(timezone.localdate())
    # Closed reports have no due_at (lifecycle.refresh_deadlines), so a due_at range alone is an
    # index range: no "status not in closed" scan.
    due_today = Q(due_at__gte=now, due_at__lte=today_end)
    overdue = Q(due_at__lt=now)
    if policy.works_in_an_opd(actor):
        return [
            ("didisposisi", _("New for us"), Q(status=Status.DISPOSITIONED)),
            ("untuk-saya", _("Assigned to me"), Q(assigned_officer_id=actor.user_id) & Q(due_at__isnull=False)),
            ("diproses", _("In progress"), Q(status=Status.IN_PROGRESS)),
            ("hari-ini", _("Due today"), due_today),
            ("terlambat", _("Overdue"), overdue),
            ("ditindaklanjuti", _("Follow-up given"), Q(status=Status.FOLLOWED_UP)),
            ("semua", _("All"), Q()),
        ]
    held = [("diblokir", _("Held: sender blocked"), Q(held_by__isnull=False, status__in=HELD_STATES))]
    return [
        # a held report waits in its own queue (complaints/senders.py), not among the new ones
        ("baru", _("New (unverified)"), Q(status=Status.RECEIVED, held_by__isnull=True)),
        *(held if policy.sees_held_reports(actor) else []),
        ("menunggu-info", _("Waiting for information"), Q(status=Status.PENDING_INFO)),
        ("dikembalikan", _("Returned: not our authority"), Q(status=Status.RETURNED)),
        ("hari-ini", _("Due today"), due_today),
        ("terlambat", _("Overdue"), overdue),
        ("eskalasi", _("Escalated to the Ombudsman"), Q(ombudsman_escalated_at__isnull=False)),
        ("semua", _("All"), Q()),
    ]


def _date(value):
    return params_module.date(value)


def filtered(actor, params, queue_q):
    """The actor's visible complaints in the queue, narrowed by the GET parameters (bad values ignored)."""
    qs = policy.visible_complaints(actor, Complaint.objects.all()).filter(queue_q)
    if params.get("status") in Status.values:
        qs = qs.filter(status=params["status"])
    if (opd := params_module.object_id(params.get("opd"))) and not policy.works_in_an_opd(actor):
        qs = qs.filter(institution_id=opd)
    if params.get("layanan"):
        qs = qs.filter(service__code=params["layanan"])
    if params.get("kelurahan"):
        qs = qs.filter(area_id=params["kelurahan"])
    elif params.get("kecamatan"):
        qs = qs.filter(area__parent_id=params["kecamatan"])
    if params.get("kanal"):
        qs = qs.filter(channel=params["kanal"])
    if start := _date(params.get("dari")):
        qs = qs.filter(
            submitted_at__gte=dt.datetime.combine(start, dt.time.min, tzinfo=timezone.get_current_timezone())
        )
    if end := _date(params.get("sampai")):
        qs = qs.filter(
            submitted_at__lt=dt.datetime.combine(
                end + dt.timedelta(days=1), dt.time.min, tzinfo=timezone.get_current_timezone()
            )
        )
    for flag, field in (("anonim", "is_anonymous"), ("rahasia", "is_secret")):
        if params.get(flag) in ("1", "0"):
            qs = qs.filter(**{field: params[flag] == "1"})
    if params.get("q"):
        qs = search(qs, params["q"])
    return qs


def page_of(qs, page, size=50, newest_first=False):
    """One page, by the next deadline (or newest first for "all"); fetches size+1 rows, never a count."""
    page = max(1, min(page, 2000))
    order = ("-submitted_at", "-id") if newest_first else ("due_at", "id")
    ordered = qs.select_related("service", "institution", "area").order_by(*order)
    rows = list(ordered[(page - 1) * size : page * size + 1])
    return rows[:size], len(rows) > size


def default_queue(actor):
    return "didisposisi" if policy.works_in_an_opd(actor) else "baru"
