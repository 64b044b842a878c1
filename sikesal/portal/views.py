"""Citizen pages: file a report, track it, the reporter's private page, public reports.

Every state change goes through sikesal.complaints.lifecycle; every read through the policy.
"""

import datetime as dt
import io
import re
import secrets

import segno
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from sikesal.catalogue.models import Area, AreaLevel, ServiceGroup
from sikesal.complaints import form_actions, intake, lifecycle, policy, senders, stamps, submission, timeline
from sikesal.complaints.actions import PORTAL_ACTIONS, Action, Desk, desk_forms
from sikesal.complaints.errors import LifecycleError
from sikesal.complaints.models import Attachment, Complaint, hash_secret
from sikesal.complaints.policy import Actor
from sikesal.complaints.states import CLOSED_STATES, Channel, ComplaintType, Status
from sikesal.core import csvsafe
from sikesal.core import params as params_module
from sikesal.core.ratelimit import FilingBudget, allow, browser_id, client_key, lookup_allowed
from sikesal.integrations.ombudsman import eligibility as ombudsman_eligibility
from sikesal.portal import attachment_links, page_cache, staged_uploads, statistics

FOLLOWUP_ACTIONS = (Action.ADD_FOLLOWUP, Action.COMPLETE_FOLLOWUP)  # their files are the agency's, not the reporter's


def home(request):
    groups = ServiceGroup.objects.prefetch_related("services").all()
    return render(request, "portal/home.html", {"groups": groups, "deadlines": settings.SIKESAL_DEADLINES})


def _form_context(values=None, errors=None):
    groups = ServiceGroup.objects.prefetch_related("services").all()
    kecamatan = Area.objects.filter(level=AreaLevel.KECAMATAN).prefetch_related("children").order_by("name")
    values, errors = values or {}, errors or {}
    return {
        "groups": groups,
        "kecamatan": kecamatan,
        "types": ComplaintType.choices,
        "values": values,
        "errors": errors,
        # Which folded parts of the form hold an error: they are shown open.
        "errors_in": {
            "questions": any(name.startswith("answers") for name in errors),
            "details": bool({"type", "incident_date"} & errors.keys()),
            "contact": bool({"name", "phone", "email"} & errors.keys()),
        },
        # The server's own messages for the rules the outbox checks before keeping a report (pwa-file.js).
        "checks": {
            "title": _("The title is required."),
            "body": _("Describe the problem in at least %(n)d characters.") % {"n": settings.SIKESAL_BODY_MIN},
            "future": _("The date of incident cannot be in the future."),
            "email": _("The e-mail address is not valid."),
        },
        "title_max": settings.SIKESAL_TITLE_MAX,
        "body_max": settings.SIKESAL_BODY_MAX,
        "body_min": settings.SIKESAL_BODY_MIN,
        "max_files": settings.SIKESAL_UPLOAD_MAX_FILES,
        "max_mb": settings.SIKESAL_UPLOAD_MAX_BYTES,
        "tiles": settings.SIKESAL_MAP_TILES,
        "bounds": settings.SIKESAL_CITY_BOUNDS,
        "today": timezone.localdate().isoformat(),
        "idempotency_key": values.get("idempotency_key") or secrets.token_urlsafe(18),
    }


def _browser_key(request, key):
    """The form's idempotency key in this browser's namespace (core/ratelimit.browser_id, from its CSRF
    secret, which every POST carries and no other browser has): the outbox sending again after a lost
    answer replays its own report, and the same key from another browser is a new report, never a replay
    with the first reporter's private link. (Logging in changes the CSRF secret: a form sent again across a
    login files a second report, the lesser harm.)"""
    if not key:
        return None
    return f"web:{browser_id(request)}:{key[:60]}"


def file_report(request):
    if request.method != "POST":
        initial = {"service": request.GET.get("layanan", "")}
        return render(request, "portal/file.html", _form_context(initial))
    post = request.POST
    values = {k: post.get(k, "") for k in post if k not in ("csrfmiddlewaretoken", "staged")}
    if post.get("website"):  # the honeypot: people never see this field, bots fill it in
        return render(
            request,
            "portal/file.html",
            _form_context(values, {"__all__": [_("The report could not be sent.")]}),
            status=400,
        )
    budget = FilingBudget(request, {"phone": post.get("phone"), "email": post.get("email")})
    if not budget.allowed:
        budget.refund()
        ctx = _form_context(
            values, {"__all__": [_("Too many reports from this connection or contact. Please try again later.")]}
        )
        return _refused(request, ctx, 429)
    response, filed = _file(request, post, values)
    if not filed:
        budget.refund()  # only reports filed count against the limits
    return response


def _refused(request, ctx, status):
    """The form again, with what was refused: as JSON to the outbox (pwa-file.js shows it when the citizen
    opens the report in the form again), as the page to everyone else."""
    if request.headers.get("X-SIKESAL-Outbox"):
        errors = {name: [str(m) for m in msgs] for name, msgs in ctx["errors"].items()}
        return JsonResponse({"errors": errors}, status=status)
    return render(request, "portal/file.html", ctx, status=status)


def _file(request, post, values):
    """File the form's report, or show the form again (duplicates, refused fields). Returns (response,
    whether a new report was filed)."""
    data = {
        "type": post.get("type"),
        "service": post.get("service"),
        "title": post.get("title"),
        "body": post.get("body"),
        "incident_date": post.get("incident_date"),
        "latitude": post.get("latitude"),
        "longitude": post.get("longitude"),
        "area": post.get("area"),
        "address": post.get("address"),
        "is_anonymous": post.get("is_anonymous") == "1",
        "is_secret": post.get("is_secret") == "1",
        "channel": Channel.WEB,
        "idempotency_key": _browser_key(request, post.get("idempotency_key")),
        "answers": intake.service_answers(post),
        "reporter": {"name": post.get("name"), "phone": post.get("phone"), "email": post.get("email")},
    }
    browser = browser_id(request)
    files = staged_uploads.read(browser, post.get("staged")) + request.FILES.getlist("attachments")
    already_filed = (
        bool(data["idempotency_key"]) and Complaint.objects.filter(idempotency_key=data["idempotency_key"]).exists()
    )
    # A repeat of a report already filed (the outbox sending again after a lost answer) goes straight to its
    # confirmation: submit() replays it.
    if not post.get("confirm_new") and not already_filed and (similar := _public_duplicates(data)):
        kept, file_errors = _keep_files(browser, post, files)
        ctx = _form_context(values, {"attachments": file_errors} if file_errors else None)
        ctx.update(duplicates=similar, **kept)
        return render(request, "portal/file.html", ctx), False
    try:
        # The fields first (submit() checks them again, with the files): a form refused for a field is no
        # filing, and must not count against the sender's limit below either.
        intake.clean_report(data)
        # The sender's limit and the block list (complaints/senders.py). A blocked sender's report is filed
        # held for the admin, and its sender sees the same confirmation as anyone.
        screened = senders.Verdict() if already_filed else senders.check_reporter(data["reporter"], Channel.WEB)
        if screened.limited:
            ctx = _form_context(values, {"__all__": [senders.too_many_message()]})
            return _refused(request, ctx, 429), False
        result = submission.submit(Actor.filing_citizen(request.user), data, files, held_by=screened.entry)
    except LifecycleError as exc:
        errors = {name: [str(m) for m in msgs] for name, msgs in exc.fields.items()} or {"__all__": [str(exc.message)]}
        kept, _file_errors = _keep_files(browser, post, files)  # submit() named the refused files already
        ctx = _form_context(values, errors)
        ctx.update(kept)
        return _refused(request, ctx, 400), False
    staged_uploads.discard(browser, post.get("staged"))
    request.session[f"secret:{result.complaint.tracking_number}"] = result.secret
    return redirect("portal:confirmation", tracking=result.complaint.tracking_number), not result.replayed


def _keep_files(browser, post, files):
    """The form is shown again: keep the files that pass the checks for its next POST (staged_uploads.py).
    Returns the template's additions and each refused file's message."""
    token, names, errors = staged_uploads.keep(browser, post.get("staged"), files)
    return {"staged": token, "staged_names": names}, errors


def confirmation(request, tracking):
    secret = request.session.get(f"secret:{tracking}")
    complaint = Complaint.objects.filter(tracking_number=tracking).first() if secret else None
    if complaint is None or not complaint.check_secret(secret):
        # Opened in another browser (a link shared, a phone changed): the private link is this browser's
        # only. Say so and point to the track page, saying nothing about whether the number exists.
        number = _normalise_tracking(tracking)
        return render(request, "portal/confirmation_elsewhere.html", {"number": number}, status=404)
    private_url = request.build_absolute_uri(reverse("portal:private", args=[secret]))
    qr = segno.make(private_url, error="m").svg_inline(scale=4, dark="#1b1f24")
    return render(request, "portal/confirmation.html", {"c": complaint, "private_url": private_url, "qr": qr})


def _normalise_tracking(raw):
    """A tracking number as typed (spaces, lower case) in its form: letters, digits and dashes only."""
    return re.sub(r"[^A-Z0-9-]", "", str(raw or "").upper())[:20]


def track(request):
    number = _normalise_tracking(request.GET.get("nomor"))
    if number:
        return redirect("portal:track_detail", tracking=number)
    return render(request, "portal/track.html", {})


def track_detail(request, tracking):
    if not lookup_allowed(request):
        return render(request, "portal/track.html", {"error": _("Too many lookups. Please wait a minute.")}, status=429)
    number = _normalise_tracking(tracking)
    return page_cache.serve(
        request, "track", stamps.stamp(number), lambda csrf: _track_page(request, tracking, number, csrf)
    )


def _track_page(request, tracking, number, csrf):
    complaint = Complaint.objects.select_related("institution", "service").filter(tracking_number=number).first()
    if complaint is None:
        # The same answer for "never existed" and "mistyped": nothing to learn by guessing.
        return render(request, "portal/track.html", {"not_found": True, "number": tracking}, status=404)
    # A report that is not public (unverified, merged, archived, rahasia) shows its status only: its title
    # and timeline are for its reporter's private page, not for whoever guesses a number.
    public = policy.is_public(complaint)
    events = timeline.events_for(complaint, "public") if public else []
    context = {
        "c": complaint,
        "events": events,
        "public": public,
        "closed": complaint.status in CLOSED_STATES,
        "merged_into": policy.named_merge_target(complaint, public=True),
        "show_handling": policy.shows_handling(complaint, to_reporter=False),
    }
    return render(request, "portal/track_detail.html", _with_csrf(context, csrf))


def _with_csrf(context, csrf):
    return {**context, "csrf_token": csrf} if csrf else context


def _by_secret(secret):
    complaint = (
        Complaint.objects.select_related("institution", "service", "area")
        .filter(secret_hash=hash_secret(secret))
        .first()
    )
    if complaint is None:
        raise Http404
    return complaint


def _render_private(request, complaint, action_url, secret=None):
    available = [a for a in PORTAL_ACTIONS if complaint.status in lifecycle.TRANSITIONS[a].sources]
    if Action.CONFIRM in available:
        available.remove(Action.RATE)  # confirming carries the rating
    attachments = list(complaint.attachments.exclude(visibility="staff").select_related("event"))
    for a in attachments:
        a.reporter_url = attachment_links.reporter_url(a)
    response = render(
        request,
        "portal/private.html",
        {
            "c": complaint,
            "show_handling": policy.shows_handling(complaint, to_reporter=True),
            "action_url": action_url,
            "events": timeline.events_for(complaint, "reporter"),
            "attachments": [a for a in attachments if not (a.event and a.event.action in FOLLOWUP_ACTIONS)],
            "agency_attachments": [a for a in attachments if a.event and a.event.action in FOLLOWUP_ACTIONS],
            "forms": desk_forms(Desk.PORTAL, available),
            "closed": complaint.status in CLOSED_STATES,
            "ombudsman": ombudsman_eligibility.check(complaint),
            "escalation": getattr(complaint, "escalation", None),
            "escalate_url": reverse("portal:escalate", args=[secret]) if secret else None,
            "merged_into": policy.named_merge_target(complaint),
        },
    )
    # The secret may be in the URL: never hand it to another site. ("no-referrer" would make the
    # browser send Origin: null on our own forms, which CSRF protection rightly refuses.)
    response["Referrer-Policy"] = "same-origin"
    return response


def _reporter_action(request, complaint, actor):
    action = request.POST.get("action")
    if action not in PORTAL_ACTIONS:
        messages.error(request, _("Unknown action."))
        return
    fields = ("message", "rating", "comment", "comment_private")
    data = {k: request.POST.get(k) for k in fields if request.POST.get(k) is not None}
    form_actions.apply(request, complaint, action, actor, data, _("Thank you. Your report has been updated."))


def private(request, secret):
    complaint = _by_secret(secret)
    return _render_private(request, complaint, reverse("portal:private_action", args=[secret]), secret)


@require_POST
def private_action(request, secret):
    complaint = _by_secret(secret)
    _reporter_action(request, complaint, Actor.reporter(complaint))
    return redirect("portal:private", secret=secret)


def _own_report(request, tracking):
    """A logged-in reporter's own report, or 404 (also for reports that are not theirs)."""
    if not request.user.is_authenticated:
        raise Http404
    actor = Actor.for_user(request.user)
    complaint = (
        Complaint.objects.select_related("institution", "service", "area").filter(tracking_number=tracking).first()
    )
    if complaint is None or not policy.is_reporter(actor, complaint):
        raise Http404
    return complaint, actor


def account_report(request, tracking):
    complaint, _actor = _own_report(request, tracking)
    return _render_private(request, complaint, reverse("portal:account_action", args=[tracking]))


@require_POST
def account_action(request, tracking):
    complaint, actor = _own_report(request, tracking)
    _reporter_action(request, complaint, actor)
    return redirect("portal:account_report", tracking=tracking)


def _public_queryset(request):
    qs = policy.public_complaints(Complaint.objects.all()).select_related("service", "area__parent", "institution")
    f = {k: request.GET.get(k, "") for k in ("layanan", "kecamatan", "status", "bulan")}
    if f["layanan"]:
        qs = qs.filter(service__code=f["layanan"])
    if f["kecamatan"]:
        qs = qs.filter(area__parent__code=f["kecamatan"])
    if f["status"] == "terbuka":
        qs = qs.exclude(status__in=CLOSED_STATES)
    elif f["status"] == "selesai":
        qs = qs.filter(status__in=CLOSED_STATES)
    if f["bulan"]:
        if parsed := params_module.year_month(f["bulan"]):
            qs = qs.filter(submitted_at__year=parsed[0], submitted_at__month=parsed[1])
        else:
            f["bulan"] = ""
    return qs.order_by("-submitted_at"), f


@require_GET
def reports(request):
    qs, f = _public_queryset(request)
    page = Paginator(qs, 20).get_page(request.GET.get("hal"))
    query = request.GET.copy()
    query.pop("hal", None)
    return render(
        request,
        "portal/reports.html",
        {
            "page": page,
            "filters": f,
            "query": query.urlencode(),
            "groups": ServiceGroup.objects.prefetch_related("services").all(),
            "kecamatan": Area.objects.filter(level=AreaLevel.KECAMATAN).order_by("name"),
            "tiles": settings.SIKESAL_MAP_TILES,
            "closed_states": CLOSED_STATES,
        },
    )


@require_GET
def reports_map(request):
    qs, _f = _public_queryset(request)
    points = [
        {
            "tracking": c.tracking_number,
            "title": c.title,
            "status": str(c.get_status_display()),
            "lat": round(c.latitude, 5),
            "lng": round(c.longitude, 5),
            "url": reverse("portal:report_detail", args=[c.tracking_number]),
        }
        for c in qs.filter(latitude__isnull=False)[:500]
    ]
    return JsonResponse({"points": points})


@require_GET
def report_detail(request, tracking):
    if not lookup_allowed(request):
        return render(request, "portal/track.html", {"error": _("Too many lookups. Please wait a minute.")}, status=429)
    return page_cache.serve(
        request, "report", stamps.stamp(tracking), lambda csrf: _report_page(request, tracking, csrf)
    )


def _report_page(request, tracking, csrf):
    complaint = (
        Complaint.objects.select_related("service", "area__parent", "institution")
        .filter(tracking_number=tracking)
        .first()
    )
    if complaint is None or not policy.is_public(complaint):
        # Its status is public on the track page anyway: say why its content is not shown, and where to go.
        # Every lookup counts against the one budget above, so this is no faster way to find numbers.
        if complaint is None:
            raise Http404
        awaiting = complaint.status in {Status.RECEIVED, Status.PENDING_INFO} and complaint.verified_at is None
        return render(
            request,
            "portal/report_unavailable.html",
            {"c": complaint, "awaiting": awaiting and not complaint.is_secret},
            status=404,
        )
    photos = complaint.attachments.filter(visibility="public", kind="photo").select_related("event")
    context = {
        "c": complaint,
        "show_handling": policy.shows_handling(complaint, to_reporter=False),
        "events": timeline.events_for(complaint, "public"),
        "before": [a for a in photos if a.event is None],
        # An interim follow-up's photos show the work under way (often the site before it): only the photos
        # of the completed follow-up are "after".
        "during": [a for a in photos if a.event and a.event.action == Action.ADD_FOLLOWUP],
        "after": [a for a in photos if a.event and a.event.action == Action.COMPLETE_FOLLOWUP],
        "closed": complaint.status in CLOSED_STATES,
    }
    return render(request, "portal/report_detail.html", _with_csrf(context, csrf))


@require_GET
def attachment(request, token):
    att = Attachment.objects.select_related("complaint").filter(token=token).first()
    if att is None:
        raise Http404
    grant = attachment_links.has_reporter_grant(att, request.GET.get("g"))
    revealed = attachment_links.has_reveal_grant(att, request.GET.get("r"), request.user)
    if not policy.can_read_attachment(Actor.for_user(request.user), att, reporter_grant=grant, revealed=revealed):
        raise Http404
    response = FileResponse(att.file.open("rb"), content_type=att.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    disposition = "inline" if att.kind == "photo" else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="lampiran-{att.pk}{att.extension}"'
    response["Referrer-Policy"] = "same-origin"
    return response


@require_GET
def statistics_page(request):
    start, end, cleaned = statistics.period(request.GET)
    if any(request.GET.get(k) for k in ("dari", "sampai")) and len(cleaned) < sum(
        1 for k in ("dari", "sampai") if request.GET.get(k)
    ):
        messages.error(request, _("The period was not understood and was ignored (use YYYY-MM)."))
    data = _in_current_language(statistics.cached(start, end))
    query = "&".join(f"{k}={v}" for k, v in cleaned.items())
    return render(request, "portal/statistics.html", {"s": data, "period": cleaned, "query": query})


def _in_current_language(data):
    """The cached figures carry the labels of whoever computed them: name statuses and months again here."""
    statuses = dict(Status.choices)
    data = dict(data)
    data["by_status"] = [dict(r, label=statuses.get(r["key"], r["label"])) for r in data["by_status"]]
    channels = dict(Channel.choices)
    data["by_channel"] = [dict(r, label=channels.get(r["key"], r["label"])) for r in data.get("by_channel", [])]
    months = []
    for r in data["by_month"]:
        parsed = params_module.year_month(r["key"])
        label = date_format(dt.date(parsed[0], parsed[1], 1), "F Y") if parsed else r["label"]
        months.append(dict(r, label=label))
    data["by_month"] = months
    return data


@require_GET
def statistics_csv(request):
    start, end, _cleaned = statistics.period(request.GET)
    data = statistics.cached(start, end)
    buffer = io.StringIO()
    writer = csvsafe.writer(buffer)
    writer.writerow(["section", "key", "label", "value"])
    writer.writerows(statistics.csv_rows(data))
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="statistik-sikesal.csv"'
    return response


def service_hint(request):
    """A gentle hint for the service picker: the services the router finds likely for the words typed.
    Public (like the form itself), rate limited, and it stores nothing."""
    text = " ".join(request.GET.get("teks", "").split())[:2000]
    if len(text) < 10:
        return JsonResponse({"services": []})
    if not allow("hint-ip", client_key(request), settings.SIKESAL_RATE_LIMITS["track_per_ip_per_minute"], 60):
        return JsonResponse({"detail": _("Too many requests; try again in a minute.")}, status=429)
    from sikesal.routing.service import suggest

    result = suggest(text, "")
    return JsonResponse({"services": [s for s in result["services"] if s["confidence"] >= 0.15]})


def _public_duplicates(data):
    """Public reports that look like this one, shown before it is filed (never a rahasia or unverified
    report: a citizen sees only what the public pages show)."""
    from sikesal.catalogue.models import Service
    from sikesal.routing import duplicates

    def number(value):
        try:
            return float(value)
        except (TypeError, ValueError):
            return None

    if len(str(data.get("title") or "") + str(data.get("body") or "")) < 10:
        return []
    service_id = Service.objects.filter(code=data.get("service") or "").values_list("pk", flat=True).first()
    lat, lng = number(data.get("latitude")), number(data.get("longitude"))
    return duplicates.find(
        data.get("title") or "",
        data.get("body") or "",
        service_id=service_id,
        area_id=data.get("area") or None,
        latitude=lat if lng is not None else None,
        longitude=lng if lat is not None else None,
        queryset=policy.public_complaints(Complaint.objects.all()),
        limit=3,
    )
