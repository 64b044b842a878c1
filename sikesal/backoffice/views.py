"""Staff pages: inbox, report page with the lifecycle actions as forms (one open at a time), identity reveal,
export.

Reads go through the policy (an OPD never sees another OPD's reports); changes go through the lifecycle.
"""

import functools

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, F, OuterRef
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sikesal.backoffice import inbox, photos
from sikesal.backoffice.models import AuditEntry, ResponseTemplate
from sikesal.catalogue.models import Area, AreaLevel, Institution, InstitutionKind, Service
from sikesal.complaints import form_actions, lifecycle, policy, timeline
from sikesal.complaints.actions import BACKOFFICE_ACTIONS, Action, Desk, desk_forms
from sikesal.complaints.errors import LifecycleError
from sikesal.complaints.models import Complaint, PendingEffect
from sikesal.complaints.policy import Actor, IdentityAccess
from sikesal.complaints.states import ArchiveReason, Channel, Classification, Status
from sikesal.core import csvsafe
from sikesal.core import params as params_module
from sikesal.core.ratelimit import client_ip
from sikesal.integrations.notify import channels
from sikesal.integrations.notify.models import Notification


def staff_required(view):
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"{reverse('backoffice:login')}?next={request.path}")
        actor = Actor.for_user(request.user)
        if not policy.can_use_backoffice(actor):
            raise PermissionDenied
        return view(request, actor, *args, **kwargs)

    return wrapped


# Queue badges count at most this far: an exact COUNT over a million rows costs PostgreSQL ~100 ms per
# queue on every inbox view, and past a thousand waiting reports the exact number helps nobody.
QUEUE_COUNT_CAP = 1000


def _capped_count(qs):
    n = qs[: QUEUE_COUNT_CAP + 1].count()
    return f"{QUEUE_COUNT_CAP}+" if n > QUEUE_COUNT_CAP else n


@staff_required
def inbox_view(request, actor):
    if policy.lands_at_the_desk(actor):
        return redirect("backoffice:desk")
    if policy.lands_at_privacy(actor):
        return redirect("privacy_office:queue")
    queues = inbox.queues_for(actor)
    code = request.GET.get("antrian") or inbox.default_queue(actor)
    current = next((q for q in queues if q[0] == code), queues[0])
    visible = policy.visible_complaints(actor, Complaint.objects.all())
    counts = [(c, label, _capped_count(visible.filter(q))) for c, label, q in queues]
    try:
        page = int(request.GET.get("hal", "1"))
    except ValueError:
        page = 1
    rows, has_next = inbox.page_of(
        inbox.filtered(actor, request.GET, current[2]), page, newest_first=current[0] == "semua"
    )
    query = request.GET.copy()
    query.pop("hal", None)
    return render(
        request,
        "backoffice/inbox.html",
        {
            "actor": actor,
            "queues": counts,
            "current": current[0],
            "rows": rows,
            "page": page,
            "has_next": has_next,
            "query": query.urlencode(),
            "params": request.GET,
            "statuses": Status.choices,
            "channels": Channel.choices,
            "opds": Institution.objects.exclude(kind=InstitutionKind.EXTERNAL).filter(active=True),
            "services": Service.objects.filter(active=True),
            "kecamatan": Area.objects.filter(level=AreaLevel.KECAMATAN).order_by("name"),
            "is_opd": policy.works_in_an_opd(actor),
            "bulk": current[0] == "baru" and policy.may(actor, Action.VERIFY, None),
            "now": timezone.now(),
        },
    )


def _complaint_for(actor, tracking):
    complaint = (
        Complaint.objects.select_related("service", "institution", "area__parent", "merged_into", "forwarded_to")
        .filter(tracking_number=tracking)
        .first()
    )
    if complaint is None or not policy.can_view(actor, complaint):
        raise Http404  # the same answer for "does not exist" and "not yours"
    return complaint


def _audit(request, kind, complaint=None, reason="", detail=None):
    AuditEntry.objects.create(
        user=request.user, kind=kind, complaint=complaint, reason=reason, detail=detail or {}, ip=client_ip(request)
    )


@staff_required
def report_view(request, actor, tracking, revealed=False):
    complaint = _complaint_for(actor, tracking)
    access = policy.identity_access(actor, complaint)
    identity_readable = access is IdentityAccess.ALLOWED or (access is IdentityAccess.ON_REVEAL and revealed)
    reporter = None
    if identity_readable:
        reporter = getattr(complaint, "reporter", None)
        if reporter is not None and not revealed:
            _audit(request, AuditEntry.Kind.VIEW_IDENTITY, complaint)
    actions = [
        a
        for a in BACKOFFICE_ACTIONS
        if complaint.status in lifecycle.TRANSITIONS[a].sources and policy.may(actor, a, complaint)
    ]
    forms = desk_forms(Desk.BACKOFFICE, actions)
    # One action's form open at a time: the one asked for (?aksi=, also after a refused attempt), or the only one.
    chosen = request.GET.get("aksi")
    open_action = chosen if chosen in actions else (actions[0] if len(actions) == 1 else None)
    return render(
        request,
        "backoffice/report.html",
        {
            "actor": actor,
            "c": complaint,
            "events": timeline.events_for(complaint, "staff"),
            "photo_groups": photos.groups(complaint, revealed_to=request.user if revealed else None),
            "tiles": settings.SIKESAL_MAP_TILES,
            "reporter": reporter,
            "can_reveal": access is IdentityAccess.ON_REVEAL and not revealed,
            "identity_hidden": access is IdentityAccess.DENIED,
            "forms": forms,
            "open_action": open_action,
            "city_opds": Institution.objects.exclude(kind=InstitutionKind.EXTERNAL).filter(active=True),
            "external": Institution.objects.filter(kind=InstitutionKind.EXTERNAL, active=True),
            "archive_reasons": ArchiveReason.choices,
            "classifications": Classification.choices,
            "templates": ResponseTemplate.for_complaint(complaint),
            "officers": policy.assignable_officers(complaint),
            "now": timezone.now(),
            **_routing_context(actor, complaint, actions),
            **_deliveries_context(actor, complaint, identity_readable),
        },
    )


DELIVERIES_SHOWN = 30  # the latest messages: what an officer checks is the last steps, not the whole history


def _deliveries_context(actor, complaint, identity_readable):
    """The "Messages to the reporter" section: the latest notifications about this report, in one query.
    A failure reason may name the address (an e-mail bounce), so it is shown only to who reads the identity
    here, and only for this report's reporter (not for the reporter of a report merged into it, who follows
    it too: their identity is another report's)."""
    if not policy.can_see_deliveries(actor, complaint):
        return {}
    rows = list(
        Notification.objects.filter(event__complaint=complaint)
        .select_related("event")
        .order_by("-event__created_at", "-pk")[:DELIVERIES_SHOWN]
    )
    own = _reporter_addresses(complaint)
    channel_labels = dict(Channel.choices)  # the notify channels are named as the report channels are
    for n in rows:
        n.channel_label = channel_labels.get(n.channel, n.channel)
        n.to_reporter = n.to in own
        n.reason = n.last_error if identity_readable and n.to_reporter else ""
    return {"see_deliveries": True, "deliveries": rows, "request_unreached": _request_unreached(complaint)}


def _reporter_addresses(complaint):
    """The addresses this report's reporter is told at, as the notifications hold them."""
    contacts = channels.reporter_contacts(getattr(complaint, "reporter", None))
    return {channels.notified_address(channel, address)[0] for channel, address in contacts}


def _request_unreached(complaint):
    """The request for information the report waits an answer to, when it reached the reporter on no channel:
    every message about it failed or was held, or there was none (no contact given). None while its messages
    are still to be written (the worker has not run yet) or one is pending (a retry may still deliver it)."""
    if complaint.status != lifecycle.TRANSITIONS[Action.REQUEST_INFO].target:
        return None
    latest = (
        complaint.events.filter(action=Action.REQUEST_INFO)
        .annotate(
            reached=Exists(
                Notification.objects.filter(
                    event=OuterRef("pk"), state__in=[Notification.State.SENT, Notification.State.PENDING]
                )
            ),
            queued=Exists(PendingEffect.objects.filter(event=OuterRef("pk"))),
        )
        .order_by("-created_at", "-id")
        .first()
    )
    return latest if latest is not None and not latest.reached and not latest.queued else None


def _routing_context(actor, complaint, actions):
    """The router's suggestion for the verify form (and how often it matched the admins lately), and
    the likely duplicates an admin can merge with one action."""
    from sikesal.routing import duplicates

    context = {}
    if Action.MERGE in actions:
        visible = policy.visible_complaints(actor, Complaint.objects.all())
        context["duplicates"] = duplicates.for_complaint(complaint, queryset=visible)
    if Action.VERIFY not in actions and Action.REDISPOSITION not in actions:
        return context
    from sikesal.routing.models import Suggestion
    from sikesal.routing.service import live_accuracy

    suggestion = Suggestion.objects.filter(complaint=complaint).first()
    top = suggestion.top_institution_id if suggestion else None
    accuracy = live_accuracy()
    return {
        **context,
        "suggestion": suggestion.data if suggestion else None,
        "preselect": top or (complaint.service.default_institution_id if complaint.service_id else None),
        "routing_accuracy": accuracy,
        "routing_pct": round(100 * accuracy["accuracy"]) if accuracy else None,
    }


@require_POST
@staff_required
def reveal(request, actor, tracking):
    complaint = _complaint_for(actor, tracking)
    reason = " ".join(request.POST.get("reason", "").split())
    if policy.identity_access(actor, complaint) is not IdentityAccess.ON_REVEAL:
        raise PermissionDenied
    if len(reason) < 10:
        messages.error(request, _("State why you need to see who reported this (at least 10 characters)."))
        return redirect("backoffice:report", tracking=tracking)
    _audit(request, AuditEntry.Kind.REVEAL_ANONYMOUS, complaint, reason)
    return report_view.__wrapped__(request, actor, tracking, revealed=True)


@require_POST
@staff_required
def action(request, actor, tracking):
    complaint = _complaint_for(actor, tracking)
    name = request.POST.get("action")
    if name not in BACKOFFICE_ACTIONS:
        messages.error(request, _("Unknown action."))
        return redirect("backoffice:report", tracking=tracking)
    post = request.POST
    data = {
        k: post.get(k)
        for k in ("message", "note", "reason", "institution", "target", "officer")
        if post.get(k) not in (None, "")
    }
    if name in (Action.VERIFY, Action.REDISPOSITION):
        data["co_institutions"] = post.getlist("co_institutions")
    if not data.get("message") and post.get("template", "").isdigit():
        # Without JavaScript the chosen template is the message.
        template = ResponseTemplate.objects.filter(pk=int(post["template"]), action=name, active=True).first()
        if template is not None:
            data["message"] = template.text
    if name == Action.ADD_FOLLOWUP:
        data["internal"] = post.get("internal") == "1"
    if name in (Action.VERIFY, Action.SET_FLAGS):
        data.update(is_anonymous=post.get("is_anonymous") == "1", is_secret=post.get("is_secret") == "1")
        if post.get("classification") in Classification.values:
            data["classification"] = post["classification"]
    if not form_actions.apply(request, complaint, name, actor, data, _("Saved.")):
        # Refused: back to the same action's form, open, with the message saying why.
        return redirect(f"{reverse('backoffice:report', args=[tracking])}?aksi={name}#action-{name}")
    return redirect("backoffice:report", tracking=tracking)


class _Echo:
    def write(self, value):
        return value


EXPORT_HEADERS = (
    "nomor", "diterima", "status", "layanan", "opd", "kecamatan", "kelurahan", "kanal", "tenggat", "anonim", "rahasia", "judul",
)  # fmt: skip


IDENTITY_HEADERS = ("pelapor", "telepon", "email")


def _with_identity(actor):
    """Identity columns exist for roles that may ever see a reporter (admin, OPD staff)."""
    return policy.export_with_identity_columns(actor)


def _export_rows(actor, params):
    """The filtered list as rows of text; reporter identity only where the policy allows it outright
    (an anonymous reporter stays blank even for the admin: revealing needs a stated reason)."""
    queues = {c: q for c, _label, q in inbox.queues_for(actor)}
    qs = inbox.filtered(actor, params, queues.get(params.get("antrian"), queues["semua"]))
    qs = qs.select_related("service", "institution", "area__parent", "reporter").order_by("-submitted_at")
    identity = _with_identity(actor)
    for c in qs.iterator(chunk_size=2000):
        extra = []
        if identity:
            reporter = getattr(c, "reporter", None)
            allowed = reporter is not None and policy.identity_access(actor, c) is IdentityAccess.ALLOWED
            extra = [reporter.name, reporter.phone, reporter.email] if allowed else ["", "", ""]
        yield [
            c.tracking_number,
            timezone.localtime(c.submitted_at).strftime("%Y-%m-%d %H:%M"),
            str(c.get_status_display()),
            c.service.name if c.service else "",
            c.institution.short_name if c.institution else "",
            c.area.parent.name if c.area and c.area.parent else "",
            c.area.name if c.area else "",
            c.channel,
            timezone.localtime(c.due_at).strftime("%Y-%m-%d %H:%M") if c.due_at else "",
            "ya" if c.is_anonymous else "",
            "ya" if c.is_secret else "",
            c.title,
            *extra,
        ]


def _export_headers(actor):
    return EXPORT_HEADERS + (IDENTITY_HEADERS if _with_identity(actor) else ())


@staff_required
def export_csv(request, actor):
    """The filtered list as CSV, streamed; the export itself is audited."""
    _audit(request, AuditEntry.Kind.EXPORT, detail={"format": "csv", "filters": dict(request.GET.items())})
    writer = csvsafe.writer(_Echo())

    def lines():
        yield "\ufeff"  # so spreadsheet programs read UTF-8
        yield writer.writerow(_export_headers(actor))
        for row in _export_rows(actor, request.GET):
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="sikesal-laporan.csv"'
    return response


@staff_required
def export_xlsx(request, actor):
    """The filtered list as an Excel workbook, written row by row (constant memory) to a temporary file."""
    import tempfile

    import xlsxwriter

    _audit(request, AuditEntry.Kind.EXPORT, detail={"format": "xlsx", "filters": dict(request.GET.items())})
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it once sent
    workbook = xlsxwriter.Workbook(handle, {"constant_memory": True, "in_memory": False, "strings_to_formulas": False})
    sheet = workbook.add_worksheet("Laporan")
    bold = workbook.add_format({"bold": True})
    sheet.write_row(0, 0, _export_headers(actor), bold)
    for i, row in enumerate(_export_rows(actor, request.GET), start=1):
        sheet.write_row(i, 0, row)
    workbook.close()
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename="sikesal-laporan.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@staff_required
def monthly_pdf(request, actor, opd_id, year, month):
    """One OPD's monthly report: for the admin, executives, the Ombudsman and that OPD's own staff."""
    from django.http import HttpResponse

    from sikesal.backoffice import monthly

    opd = Institution.objects.filter(pk=opd_id).first()
    if opd is None or not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise Http404
    if not policy.can_read_monthly_report(actor, opd.pk):
        raise Http404
    pdf = monthly.render_pdf(monthly.figures(opd, year, month))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="sikesal-{opd.pk}-{year}-{month:02d}.pdf"'
    return response


@staff_required
def audit_csv(request, actor):
    """The audit log (views of personal data, reveals, exports, log-ins) for the admin koordinator."""
    if not policy.can_read_audit(actor):
        raise PermissionDenied
    writer = csvsafe.writer(_Echo())
    entries = AuditEntry.objects.select_related("user", "complaint").order_by("-at")

    def lines():
        yield "\ufeff"
        yield writer.writerow(["waktu", "pengguna", "jenis", "laporan", "alasan", "ip", "rincian"])
        for e in entries.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"),
                    e.user.username if e.user else "",
                    e.kind,
                    e.complaint.tracking_number if e.complaint else "",
                    e.reason,
                    e.ip,
                    e.detail,
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="sikesal-audit.csv"'
    return response


@staff_required
def monthly_pick(request, actor):
    """The inbox's small form (OPD, month) leads to the PDF's address."""
    opd = policy.monthly_report_institution(actor, params_module.object_id(request.GET.get("opd")))
    month = params_module.year_month(request.GET.get("bulan"))
    if opd and month:
        return redirect("backoffice:monthly_pdf", opd_id=opd, year=month[0], month=month[1])
    messages.error(request, _("Choose an OPD and a month."))
    return redirect("backoffice:inbox")


@require_POST
@staff_required
def bulk_verify(request, actor):
    """Verify and disposition several new reports to one OPD; each goes through the door on its own."""
    numbers = request.POST.getlist("nomor")[:200]
    institution = request.POST.get("institution")
    done, refused = [], []
    for complaint in Complaint.objects.filter(tracking_number__in=numbers):
        if not policy.can_view(actor, complaint):
            continue
        try:
            lifecycle.transition(
                complaint, Action.VERIFY, actor, institution=institution, note=request.POST.get("note", "")
            )
            done.append(complaint.tracking_number)
        except LifecycleError as exc:
            refused.append(f"{complaint.tracking_number}: {exc.message}")
    if done:
        messages.success(request, _("Dispositioned: %(numbers)s") % {"numbers": ", ".join(done)})
    for line in refused:
        messages.error(request, line)
    if not done and not refused:
        messages.error(request, _("Choose at least one report."))
    return redirect(f"{reverse('backoffice:inbox')}?antrian=baru")


@staff_required
def lapor_sync(request, actor):
    """The SP4N-LAPOR! sync's health: is it on, when did it last pull, what waits, what was refused."""
    if not policy.can_manage_sync(actor):
        raise PermissionDenied
    from sikesal.integrations.lapor import health, reconcile
    from sikesal.integrations.lapor.models import Conflict, Outbox, Parked

    if request.method == "POST":
        from sikesal.integrations.lapor import operator

        def audit(kind, complaint, detail):
            _audit(request, kind, complaint, detail=detail)

        done, message = operator.act(request.POST, actor, audit)
        (messages.success if done else messages.error)(request, message)
        return redirect("backoffice:lapor_sync")
    context = {
        "h": health.health(),
        "compared": reconcile.last(),
        "parked": Parked.objects.filter(resolved_at__isnull=True).order_by("-created_at")[:20],
        "refused": _waiting_behind(
            Outbox.objects.filter(status="parked").select_related("complaint").order_by("-id")[:20]
        ),
        "conflicts": Conflict.objects.select_related("complaint").order_by(
            F("resolved_at").asc(nulls_first=True), "-id"
        )[:20],
    }
    return render(request, "backoffice/lapor_sync.html", context)


def _waiting_behind(rows):
    """Each held row with the number of the report's later changes that wait for it (sent in order)."""
    from sikesal.integrations.lapor.models import Outbox

    rows = list(rows)
    for row in rows:
        row.waiting = Outbox.objects.filter(complaint_id=row.complaint_id, id__gt=row.id, status="pending").count()
    return rows
