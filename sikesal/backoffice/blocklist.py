"""The block list page ("Daftar blokir": list, add with reason and expiry, lift) and the worker's prank
rule, each block added or lifted written to the audit log (complaints/senders.py holds the list itself)."""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sikesal.backoffice.models import AuditEntry
from sikesal.backoffice.views import staff_required
from sikesal.catalogue import calendar
from sikesal.complaints import policy, senders
from sikesal.complaints.models import BlockedSender, Reporter
from sikesal.core.ratelimit import client_ip
from sikesal.integrations.inbound.models import InboundMessage
from sikesal.integrations.inbound.processing import FLOODED

MAX_DAYS = 3650
MAX_HELD = 300  # messages shown in "kept from blocked or flooding senders", newest first


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


def _context(actor, values=None, errors=None):
    entries = BlockedSender.objects.select_related("added_by", "lifted_by", "prank_event__complaint")
    now = timezone.now()
    in_force = set(senders.active(now).values_list("pk", flat=True))
    return {
        "entries": [(e, e.pk in in_force, e.held_reports.count()) for e in entries.order_by("-added_at")[:200]],
        "held_messages": held_messages(actor, now),
        "kinds": BlockedSender.Kind.choices,
        "values": values or {},
        "errors": errors or {},
    }


def held_messages(actor, now):
    """What messaging channels kept without a normal answer, per sender, newest first: messages over the
    per-sender limit (a flood: kept, marked, not answered) and everything a sender blocked now sent (their
    reports wait in the held queue). [(sender, [(message, marks, text or None when withheld)])]"""
    blocked = set(senders.active(now).values_list("address", flat=True))
    rows = list(
        InboundMessage.objects.filter(kind=InboundMessage.Kind.MESSAGE)
        .filter(Q(error=FLOODED) | Q(sender__in=blocked))
        .order_by("-received_at", "-id")[:MAX_HELD]
    )
    addresses = {m.sender for m in rows}
    anonymous = set(
        Reporter.objects.filter(Q(phone__in=addresses) | Q(email__in=addresses), complaint__is_anonymous=True)
        .values_list("phone", "email")
        .iterator()
    )
    anonymous = {address for pair in anonymous for address in pair if address}
    grouped = {}
    for m in rows:
        marks = [
            label
            for flag, label in (
                (m.error == FLOODED, _("flood: not answered")),
                (m.sender in blocked, _("sender blocked")),
            )
            if flag
        ]
        readable = policy.can_read_sender_messages(actor, m.sender in anonymous)
        grouped.setdefault(m.sender, []).append((m, marks, _summary(m.content) if readable else None))
    return list(grouped.items())


def _summary(content):
    """A message's content as one line: its text, and what else it carried."""
    parts = [str(content.get("subject") or ""), str(content.get("text") or "")]
    if content.get("location"):
        parts.append(_("[location]"))
    parts += [_("[file: %(name)s]") % {"name": item.get("name", "")} for item in content.get("media") or []]
    return " ".join(p for p in parts if p)


@staff_required
def blocklist(request, actor):
    _may_manage(actor)
    if request.method != "POST":
        return render(request, "backoffice/blocklist.html", _context(actor))
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
        return render(request, "backoffice/blocklist.html", _context(actor, values, errors), status=400)
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
