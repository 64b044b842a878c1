"""The citizen's side of their rights, on their account: what is held about them (page and JSON), their
contacts corrected, and requests for erasure, restriction or objection. And the public privacy notice."""

import json

from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sikesal.backoffice.models import AuditEntry
from sikesal.complaints import policy
from sikesal.complaints.errors import InvalidInput
from sikesal.core.ratelimit import allow, client_ip
from sikesal.privacy import rights
from sikesal.privacy.holdings import held_about, own_reports
from sikesal.privacy.models import DataRequest

# Each request e-mails the DPOs and starts a legal clock: a day's worth is more than any citizen needs.
REQUESTS_PER_DAY = 10


def notice(request):
    return render(request, "privacy/notice.html")


def _citizen(view):
    def wrapped(request, *args, **kwargs):
        actor = policy.Actor.for_user(request.user)
        if not policy.can_use_citizen_account(actor):
            return redirect("portal:login")
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    return wrapped


def _page(request, errors=None, values=None, status=200):
    held = held_about(request.user)
    first = next(iter(held["reports"]), None)
    contacts = values or (first["reporter"] if first else {})
    return render(
        request,
        "privacy/mine.html",
        {
            "held": held,
            "contacts": contacts,
            "errors": errors or {},
            "reports": own_reports(request.user),
            "kinds": [(k, label, rights.legal_basis(k)) for k, label in DataRequest.Kind.choices],
        },
        status=status,
    )


@_citizen
def mine(request):
    rights.audit(AuditEntry.Kind.SUBJECT_ACCESS, user=request.user, detail={"as": "page"}, ip=client_ip(request))
    return _page(request)


@_citizen
def mine_json(request):
    rights.audit(AuditEntry.Kind.SUBJECT_ACCESS, user=request.user, detail={"as": "json"}, ip=client_ip(request))
    body = json.dumps(held_about(request.user), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="sikesal-data-saya.json"'
    return response


@require_POST
@_citizen
def correct(request):
    values = {k: request.POST.get(k, "") for k in ("name", "phone", "email")}
    try:
        changed = rights.correct_contacts(request.user, values, ip=client_ip(request))
    except InvalidInput as exc:
        return _page(request, errors=exc.fields, values=values, status=400)
    messages.success(request, _("Your contacts are corrected.") if changed else _("Nothing to change."))
    return redirect("privacy:mine")


@require_POST
@_citizen
def ask(request):
    tracking = request.POST.get("report") or ""
    complaint = own_reports(request.user).filter(tracking_number=tracking).first() if tracking else None
    if not allow("privacy-request", str(request.user.pk), REQUESTS_PER_DAY, 86400):
        messages.error(request, _("Too many requests today. Please try again tomorrow."))
        return redirect("privacy:mine")
    if tracking and complaint is None:
        messages.error(request, _("That is not one of your reports."))
        return redirect("privacy:mine")
    try:
        made = rights.file_request(
            request.user, request.POST.get("kind"), complaint=complaint, detail=request.POST.get("detail")
        )
    except InvalidInput as exc:
        messages.error(request, exc.message)
        return redirect("privacy:mine")
    messages.success(
        request,
        _("Your request is received. The data-protection officer answers by %(due)s.")
        % {"due": timezone.localtime(made.due_at).strftime("%d-%m-%Y %H:%M WIB")},
    )
    return redirect("privacy:mine")
