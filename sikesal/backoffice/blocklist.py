"""The block list page ("Daftar blokir": list, add with reason and expiry, lift) and the worker's prank
rule, each block added or lifted written to the audit log (complaints/senders.py holds the list itself)."""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sikesal.backoffice.models import AuditEntry
from sikesal.backoffice.views import staff_required
from sikesal.catalogue import calendar
from sikesal.complaints import policy, senders
from sikesal.complaints.models import BlockedSender
from sikesal.core.ratelimit import client_ip

MAX_DAYS = 3650


def _audit(kind, entry, *, user=None, ip="", reason=""):
    AuditEntry.objects.create(
        user=user,
        kind=kind,
        reason=reason or entry.reason,
        detail={"entry": entry.pk, "kind": entry.kind, "address": entry.address},
        ip=ip,
    )


def _may_manage(actor):
    if not policy.can_manage_blocklist(actor):
        raise PermissionDenied


def _context(values=None, errors=None):
    entries = BlockedSender.objects.select_related("added_by", "lifted_by", "prank_event__complaint")
    now = timezone.now()
    in_force = set(senders.active(now).values_list("pk", flat=True))
    return {
        "entries": [(e, e.pk in in_force, e.held_reports.count()) for e in entries.order_by("-added_at")[:200]],
        "kinds": BlockedSender.Kind.choices,
        "values": values or {},
        "errors": errors or {},
    }


@staff_required
def blocklist(request, actor):
    _may_manage(actor)
    if request.method != "POST":
        return render(request, "backoffice/blocklist.html", _context())
    post = request.POST
    values = {k: post.get(k, "") for k in ("kind", "address", "reason", "days")}
    errors = {}
    kind = post.get("kind")
    if kind not in BlockedSender.Kind.values:
        errors["kind"] = [_("Choose a phone number or an e-mail address.")]
    elif senders.canonical(kind, post.get("address")) is None:
        errors["address"] = [_("This is not a phone number or e-mail address that can be blocked.")]
    reason = " ".join(str(post.get("reason") or "").split())
    if not reason:
        errors["reason"] = [_("Say why this sender is blocked.")]
    days = None
    if post.get("days"):
        try:
            days = int(post["days"])
        except ValueError:
            days = 0
        if not 1 <= days <= MAX_DAYS:
            errors["days"] = [_("Give a number of days from 1 to %(n)d, or leave it empty.") % {"n": MAX_DAYS}]
    if errors:
        return render(request, "backoffice/blocklist.html", _context(values, errors), status=400)
    now = timezone.now()
    expires = calendar.end_of_day_utc(timezone.localdate(now) + dt.timedelta(days=days)) if days else None
    with transaction.atomic():
        entry = senders.add(kind, post["address"], reason, by=request.user, expires_at=expires, now=now)
        _audit(AuditEntry.Kind.BLOCK_SENDER, entry, user=request.user, ip=client_ip(request))
    messages.success(request, _("%(sender)s is blocked.") % {"sender": entry.address})
    return redirect("backoffice:blocklist")


@require_POST
@staff_required
def lift(request, actor, pk):
    _may_manage(actor)
    entry = get_object_or_404(BlockedSender, pk=pk)
    note = " ".join(str(request.POST.get("reason") or "").split())
    with transaction.atomic():
        if senders.lift(entry, by=request.user):
            _audit(AuditEntry.Kind.LIFT_BLOCK, entry, user=request.user, ip=client_ip(request), reason=note)
            messages.success(request, _("The block on %(sender)s is lifted.") % {"sender": entry.address})
    return redirect("backoffice:blocklist")


def block_pranksters(event):
    """Worker handler (complaints/effects.py HANDLERS): the prank rule, each block it adds audited with
    the reports it counted as its reason. Idempotent: a second run finds the block of this event."""
    with transaction.atomic():
        for entry in senders.block_pranksters(event):
            _audit(AuditEntry.Kind.BLOCK_SENDER, entry)
