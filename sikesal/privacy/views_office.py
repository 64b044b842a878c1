"""The DPO's pages under /kantor/privasi/: the request queue with its clock, each request's decision (and
the lifting of a restriction carried out), the audit of every reveal and export, the breach register with
its drafted notices, and the records of processing."""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sikesal.backoffice.models import AuditEntry
from sikesal.backoffice.views import staff_required
from sikesal.complaints import policy
from sikesal.complaints.errors import InvalidInput
from sikesal.core.ratelimit import client_ip
from sikesal.privacy import rights
from sikesal.privacy.models import Breach, DataRequest

# What the DPO's audit page lists: every look at an identity, every export, every outcome of a right.
AUDITED = (
    AuditEntry.Kind.VIEW_IDENTITY,
    AuditEntry.Kind.REVEAL_ANONYMOUS,
    AuditEntry.Kind.EXPORT,
    AuditEntry.Kind.SUBJECT_ACCESS,
    AuditEntry.Kind.SUBJECT_RECTIFY,
    AuditEntry.Kind.REQUEST_DONE,
    AuditEntry.Kind.REQUEST_REFUSED,
    AuditEntry.Kind.LIFT_RESTRICTION,
    AuditEntry.Kind.BREACH_RECORD,
    AuditEntry.Kind.BREACH_NOTICE,
)


# A breach the register can hold: found in SIKESAL's lifetime, not in the future (its due time must exist).
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def dpo_required(view):
    @staff_required
    def wrapped(request, actor, *args, **kwargs):
        if not policy.is_dpo(actor):
            raise PermissionDenied
        return view(request, actor, *args, **kwargs)

    wrapped.__name__ = view.__name__
    return wrapped


@dpo_required
def queue(request, actor):
    now = timezone.now()
    rows = DataRequest.objects.select_related("user", "complaint").order_by("status", "due_at")[:500]
    return render(
        request,
        "privacy/queue.html",
        {
            "rows": [
                (r, r.is_overdue(now), rights.legal_basis(r.kind), rights.clock_is_statutory(r.kind)) for r in rows
            ],
            "now": now,
        },
    )


@dpo_required
def request_detail(request, actor, pk):
    data_request = get_object_or_404(DataRequest.objects.select_related("user", "complaint"), pk=pk)
    if request.method == "POST":
        try:
            rights.decide(
                data_request, actor, done=request.POST.get("outcome") == "done", reason=request.POST.get("reason")
            )
        except InvalidInput as exc:
            messages.error(request, exc.message)
            return redirect("privacy_office:request", pk=pk)
        messages.success(request, _("The request is decided and the citizen is told."))
        return redirect("privacy_office:queue")
    return render(
        request,
        "privacy/request.html",
        {
            "r": data_request,
            "overdue": data_request.is_overdue(timezone.now()),
            "basis": rights.legal_basis(data_request.kind),
            "statutory": rights.clock_is_statutory(data_request.kind),
            "reports": data_request.user.reports.select_related("complaint") if data_request.user_id else [],
            "may_lift": data_request.is_liftable() and policy.can_lift_restriction(actor),
        },
    )


@require_POST
@dpo_required
def lift_restriction(request, actor, pk):
    """The DPO lifts a restriction they carried out, at the citizen's asking, with the reason the citizen
    reads. A second lift (a double click, a second tab) only says it was lifted already."""
    data_request = get_object_or_404(DataRequest, pk=pk, kind=DataRequest.Kind.RESTRICTION)
    if not policy.can_lift_restriction(actor):
        raise PermissionDenied
    try:
        rights.lift_restriction(data_request, actor, reason=request.POST.get("reason"), ip=client_ip(request))
    except InvalidInput as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The restriction is lifted and the citizen is told."))
    return redirect("privacy_office:request", pk=pk)


@dpo_required
def audit(request, actor):
    entries = AuditEntry.objects.filter(kind__in=AUDITED).select_related("user", "complaint").order_by("-at")[:500]
    return render(request, "privacy/audit.html", {"entries": entries})


def _breach_values(post):
    from sikesal.privacy import classes

    errors = {}
    values = {k: post.get(k, "") for k in ("found_at", "happened_at", "what", "affected", "measures")}
    chosen = [c for c in post.getlist("data_classes") if c in classes.BY_KEY]
    parsed = {}
    for field in ("found_at", "happened_at"):
        if values[field]:
            try:
                local = dt.datetime.fromisoformat(values[field])
            except ValueError:
                errors[field] = _("Give a date and time.")
                continue
            when = timezone.make_aware(local) if timezone.is_naive(local) else local
            if not EARLIEST <= when <= timezone.now() + dt.timedelta(days=1):
                errors[field] = _("Give a date and time.")
                continue
            parsed[field] = when
    if "found_at" not in parsed and "found_at" not in errors:
        errors["found_at"] = _("Say when the breach was found.")
    if not values["what"].strip():
        errors["what"] = _("Say what happened.")
    if not chosen:
        errors["data_classes"] = _("Choose the data affected.")
    try:
        affected = int(values["affected"])
        if affected < 0:
            raise ValueError
    except ValueError:
        errors["affected"] = _("Give the number of people affected.")
        affected = 0
    return (
        values,
        errors,
        {
            "found_at": parsed.get("found_at"),
            "happened_at": parsed.get("happened_at"),
            "what": values["what"].strip(),
            "data_classes": chosen,
            "affected": affected,
            "measures": values["measures"].strip(),
        },
    )


def _breach_context(values=None, errors=None, chosen=()):
    from sikesal.privacy import classes

    now = timezone.now()
    return {
        "breaches": [(b, b.is_overdue(now)) for b in Breach.objects.select_related("recorded_by", "notified_by")],
        "classes": classes.DATA_CLASSES,
        "values": values or {},
        "chosen": set(chosen),
        "errors": errors or {},
    }


@dpo_required
def breaches(request, actor):
    if request.method != "POST":
        return render(request, "privacy/breaches.html", _breach_context())
    values, errors, fields = _breach_values(request.POST)
    if errors:
        return render(
            request, "privacy/breaches.html", _breach_context(values, errors, fields["data_classes"]), status=400
        )
    breach = Breach.objects.create(recorded_by=request.user, **fields)
    rights.audit(
        AuditEntry.Kind.BREACH_RECORD,
        user=request.user,
        reason=breach.what,
        detail={"breach": breach.pk, "affected": breach.affected},
        ip=client_ip(request),
    )
    messages.success(
        request,
        _("The breach is recorded. Send the notices before %(due)s.")
        % {"due": timezone.localtime(breach.due_at).strftime("%d-%m-%Y %H:%M WIB")},
    )
    return redirect("privacy_office:breach_letters", pk=breach.pk)


@dpo_required
def breach_letters(request, actor, pk):
    from sikesal.privacy import classes

    breach = get_object_or_404(Breach, pk=pk)
    return render(
        request,
        "privacy/breach_letters.html",
        {
            "b": breach,
            "overdue": breach.is_overdue(timezone.now()),
            "classes": [classes.BY_KEY[k] for k in breach.data_classes if k in classes.BY_KEY],
        },
    )


@require_POST
@dpo_required
def breach_notified(request, actor, pk):
    """The DPO records that a notice went out: to the people affected, to the regulator, or both."""
    breach = get_object_or_404(Breach, pk=pk)
    now = timezone.now()
    sent = [who for who in request.POST.getlist("to") if who in ("subjects", "regulator")]
    for who in sent:
        setattr(breach, f"{who}_notified_at", getattr(breach, f"{who}_notified_at") or now)
    if sent:
        breach.notified_by = request.user
        breach.save(update_fields=["subjects_notified_at", "regulator_notified_at", "notified_by"])
        rights.audit(
            AuditEntry.Kind.BREACH_NOTICE,
            user=request.user,
            detail={"breach": breach.pk, "to": sent},
            ip=client_ip(request),
        )
    return redirect("privacy_office:breach_letters", pk=pk)


@dpo_required
def records(request, actor):
    from sikesal.privacy import classes

    return render(request, "privacy/records.html", {"classes": classes.DATA_CLASSES})
