"""The citizen's escalation form, and the Ombudsman observer's pages (escalations, compliance)."""

import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sikesal.complaints import lifecycle, policy
from sikesal.complaints.errors import LifecycleError
from sikesal.complaints.models import Complaint, hash_secret
from sikesal.complaints.policy import Actor
from sikesal.core import csvsafe
from sikesal.integrations.ombudsman import eligibility, service
from sikesal.integrations.ombudsman.models import Escalation, MaritalStatus
from sikesal.portal import statistics


def escalate_form(request, secret):
    complaint = Complaint.objects.select_related("institution").filter(secret_hash=hash_secret(secret)).first()
    if complaint is None:
        raise Http404
    check = eligibility.check(complaint)
    errors, values = {}, {}
    if request.method == "POST" and check.ok:
        values = request.POST
        try:
            service.escalate(complaint, Actor.reporter(complaint), request.POST)
        except LifecycleError as exc:
            errors = {k: [str(m) for m in v] for k, v in exc.fields.items()} or {"__all__": [str(exc.message)]}
        else:
            messages.success(request, _("Your report has been sent to the Ombudsman. You will see its progress here."))
            return redirect("portal:private", secret=secret)
    return render(
        request,
        "ombudsman/escalate.html",
        {"c": complaint, "check": check, "errors": errors, "values": values, "marital": MaritalStatus.choices},
        status=400 if errors else 200,
    )


def _observer(request):
    if not request.user.is_authenticated:
        return None
    actor = Actor.for_user(request.user)
    if not policy.can_observe_ombudsman(actor):
        raise PermissionDenied
    return actor


def escalations(request):
    actor = _observer(request)
    if actor is None:
        return redirect(f"{reverse('backoffice:login')}?next={request.path}")
    items = Escalation.objects.select_related("complaint__institution").order_by("-created_at")[:500]
    return render(
        request,
        "ombudsman/escalations.html",
        {
            "items": items,
            "states": [(s, Escalation.State(s).label) for s in lifecycle.OMBUDSMAN_STATES],
        },
    )


@require_POST
def update_state(request, pk):
    actor = _observer(request)
    if actor is None or not policy.can_act_as_ombudsman(actor):
        raise PermissionDenied
    escalation = Escalation.objects.select_related("complaint").filter(pk=pk).first()
    if escalation is None:
        raise Http404
    try:
        # the REST call's path too: the timeline event and the row change together or not at all
        service.update_state(escalation, actor, request.POST.get("state"), request.POST.get("message", ""))
    except LifecycleError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Saved."))
    return redirect("ombudsman:escalations")


def escalation_file(request, pk, fmt):
    actor = _observer(request)
    if actor is None or not policy.can_act_as_ombudsman(actor):
        raise PermissionDenied  # the identity in the file is for the Ombudsman only
    escalation = Escalation.objects.select_related("complaint").filter(pk=pk).first()
    if escalation is None:
        raise Http404
    from sikesal.backoffice.models import AuditEntry
    from sikesal.core.ratelimit import client_ip

    AuditEntry.objects.create(
        user=request.user,
        kind="view_identity",
        complaint=escalation.complaint,
        detail={"file": fmt},
        ip=client_ip(request),
    )
    if fmt == "pdf":
        response = HttpResponse(bytes(escalation.file_pdf), content_type="application/pdf")
    else:
        import json

        response = HttpResponse(
            json.dumps(escalation.file_json, ensure_ascii=False, indent=2), content_type="application/json"
        )
    response["Content-Disposition"] = f'attachment; filename="{escalation.complaint.tracking_number}.{fmt}"'
    return response


def compliance_pdf(data, period):
    from fpdf import FPDF

    from sikesal.core.pdf import latin1

    pdf = FPDF(format="A4", orientation="L")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 9, "Kepatuhan OPD - SIKESAL Kota Jambi", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    span = f"{period.get('dari', 'awal')} s.d. {period.get('sampai', 'sekarang')}"
    pdf.cell(
        0,
        6,
        latin1(f"Periode: {span}. Median tindak lanjut pertama: {data['median_first_response_hours']} jam."),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    headers = [
        "OPD",
        "Diterima",
        "Verifikasi <=3 HK",
        "TL pertama <=5 HK",
        "Selesai <=60 hari",
        "Terlambat",
        "Dibuka kembali",
        "Kepuasan",
    ]
    widths = [60, 25, 32, 32, 32, 25, 30, 25]
    pdf.set_font("Helvetica", "B", 9)
    for h, w in zip(headers, widths, strict=True):
        pdf.cell(w, 7, h, border=1)
    pdf.ln()
    pdf.set_font("Helvetica", "", 9)
    for o in data["compliance"]:
        cells = [o["label"], o["n"], f"{o['verified_share']}%" if o["verified_share"] is not None else "-",
                 f"{o['followup_share']}%" if o["followup_share"] is not None else "-", o["resolved_60"], o["overdue_now"], o["reopened"], o["rating"] or "-"]  # fmt: skip
        for value, w in zip(cells, widths, strict=True):
            pdf.cell(w, 6, latin1(str(value))[:40], border=1)
        pdf.ln()
    return bytes(pdf.output())


def compliance(request):
    actor = _observer(request)
    if actor is None:
        return redirect(f"{reverse('backoffice:login')}?next={request.path}")
    start, end, cleaned = statistics.period(request.GET)
    data = statistics.compute(start, end)
    if request.GET.get("format") == "pdf":
        response = HttpResponse(compliance_pdf(data, cleaned), content_type="application/pdf")
        response["Content-Disposition"] = 'attachment; filename="kepatuhan-opd.pdf"'
        return response
    if request.GET.get("format") == "csv":
        buffer = io.StringIO()
        writer = csvsafe.writer(buffer)
        writer.writerow(
            [
                "opd",
                "laporan",
                "diverifikasi_tepat_waktu_pct",
                "tindak_lanjut_tepat_waktu_pct",
                "selesai_60_hari",
                "terbuka_terlambat",
                "dibuka_kembali",
                "rata_rata_penilaian",
            ]
        )
        for o in data["compliance"]:
            writer.writerow(
                [
                    o["label"],
                    o["n"],
                    o["verified_share"],
                    o["followup_share"],
                    o["resolved_60"],
                    o["overdue_now"],
                    o["reopened"],
                    o["rating"],
                ]
            )
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="kepatuhan-opd.csv"'
        return response
    return render(
        request,
        "ombudsman/compliance.html",
        {"s": data, "period": cleaned, "query": "&".join(f"{k}={v}" for k, v in cleaned.items())},
    )
