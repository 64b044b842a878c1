"""Open311 GeoReport v2 at /open311/v2/, strict to the specification (docs/open311.md).

Reports enter through the same lifecycle and validation as the web form, with channel open311. Only
what the public may see is listed: never personal fields, never rahasia or unverified reports.
A back-office system's updates (servicerequestupdates POST) act as the report's OPD, and only on
reports that have one.
"""

import datetime as dt
import re

from django.conf import settings
from django.utils import timezone
from django.utils.html import strip_tags
from django.views.decorators.csrf import csrf_exempt

from sikesal.accounts.models import ApiKey
from sikesal.accounts.roles import Role
from sikesal.catalogue.models import Service
from sikesal.complaints import lifecycle, policy, timeline
from sikesal.complaints.errors import LifecycleError
from sikesal.complaints.models import Complaint, Event
from sikesal.complaints.policy import Actor
from sikesal.complaints.states import CLOSED_STATES, Channel, Visibility
from sikesal.core.ratelimit import allow

from .render import errors, respond, respond_object

FORMATS = ("xml", "json")
JURISDICTION = getattr(settings, "SIKESAL_OPEN311_JURISDICTION", "jambikota.go.id")
DEFAULT_DAYS, DEFAULT_MAX, MAX_SPAN_DAYS = 90, 1000, 90
# Extended statuses (FixMyStreet's back-office profile) → lifecycle actions.
UPDATE_ACTIONS = {
    "in_progress": "start",
    "investigating": "start",
    "action_scheduled": "add_followup",
    "open": "add_followup",
    "fixed": "complete_followup",
    "closed": "complete_followup",
    "not_councils_responsibility": "return_not_authority",
    "no_further_action": "complete_followup",
    "internal_referral": "return_not_authority",
}


def w3c(instant):
    return timezone.localtime(instant).isoformat(timespec="seconds") if instant else None


def _fmt(fmt):
    return fmt if fmt in FORMATS else None


def _key(request):
    key = ApiKey.lookup(request.POST.get("api_key") or request.GET.get("api_key"))
    if key is not None and not allow("api-key", key.pk, key.rate_limit_per_minute, 60):
        return "throttled"
    return key


def _jurisdiction_ok(request):
    given = request.POST.get("jurisdiction_id") or request.GET.get("jurisdiction_id")
    return not given or given == JURISDICTION


def discovery(request, fmt):
    fmt = _fmt(fmt)
    if not fmt:
        return errors("json", 404, (404, "Format tidak dikenal."))
    base = request.build_absolute_uri("/open311/v2/")
    return respond_object(
        fmt,
        "discovery",
        {
            "changeset": "2026-11-28T00:00:00+07:00",
            "contact": "Diskominfo Kota Jambi, sikesal@jambikota.go.id",
            "key_service": "Kunci API diberikan oleh admin SIKESAL Kota Jambi.",
            "endpoints": [
                {
                    "specification": "http://wiki.open311.org/GeoReport_v2",
                    "url": base,
                    "changeset": "2026-11-28T00:00:00+07:00",
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
        item_names={"endpoints": "endpoint", "formats": "format"},
    )


def _service_row(s):
    return {
        "service_code": s.code,
        "service_name": s.name,
        "description": s.description,
        "metadata": bool(s.extra_questions),
        "type": "realtime",
        "keywords": s.keywords,
        "group": s.group.name,
    }


def services(request, fmt):
    fmt = _fmt(fmt)
    if not fmt:
        return errors("json", 404, (404, "Format tidak dikenal."))
    if not _jurisdiction_ok(request):
        return errors(fmt, 404, (404, "jurisdiction_id tidak dikenal."))
    rows = [_service_row(s) for s in Service.objects.filter(active=True).select_related("group")]
    return respond(fmt, "services", "service", rows)


def service_definition(request, code, fmt):
    fmt = _fmt(fmt)
    service = Service.objects.filter(code=code, active=True).first()
    if not fmt or service is None:
        return errors(fmt or "json", 404, (404, "Layanan tidak ditemukan."))
    attributes = [
        {
            "variable": True,
            "code": q["code"],
            "datatype": q["datatype"],
            "required": bool(q.get("required")),
            "datatype_description": "",
            "order": i,
            "description": q["description"],
            "values": [{"key": str(v["key"]), "name": v["name"]} for v in q.get("values", [])],
        }
        for i, q in enumerate(service.extra_questions, start=1)
    ]
    return respond_object(
        fmt,
        "service_definition",
        {"service_code": service.code, "attributes": attributes},
        item_names={"attributes": "attribute", "values": "value"},
    )


def _request_row(c, extensions=False):
    notes = list(timeline.events_for(c, "public")) if extensions else None
    last_public = c.events.filter(visibility=Visibility.PUBLIC).exclude(message="").order_by("-created_at").first()
    row = {
        "service_request_id": c.tracking_number,
        "status": "closed" if c.status in CLOSED_STATES else "open",
        "status_notes": last_public.message if last_public else "",
        "service_name": c.service.name if c.service else "",
        "service_code": c.service.code if c.service else "",
        "description": c.body,
        "agency_responsible": c.institution.name if c.institution else "",
        "service_notice": "",
        "requested_datetime": w3c(c.submitted_at),
        "updated_datetime": w3c(c.updated_at),
        "expected_datetime": w3c(c.due_at),
        "address": c.address,
        "address_id": c.area_id or "",
        "zipcode": "",
        "lat": c.latitude,
        "long": c.longitude,
        "media_url": "",
    }
    if extensions:
        row["extended_attributes"] = {
            "kelurahan": c.area.name if c.area else "",
            "kecamatan": c.area.parent.name if c.area and c.area.parent else "",
            "status_detail": str(c.get_status_display()),
            "lapor_tracking_id": c.lapor_tracking_id,
        }
        row["notes"] = [
            {
                "datetime": w3c(e.created_at),
                "type": e.action,
                "summary": str(timeline.action_label(e)),
                "description": e.message,
            }
            for e in notes
        ]
    return row


def _public():
    return policy.public_complaints(Complaint.objects.select_related("service", "institution", "area__parent"))


def _parse_when(value):
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return "invalid"
    return parsed if parsed.tzinfo else timezone.make_aware(parsed)


@csrf_exempt
def requests_view(request, fmt):
    fmt = _fmt(fmt)
    if not fmt:
        return errors("json", 404, (404, "Format tidak dikenal."))
    if not _jurisdiction_ok(request):
        return errors(fmt, 404, (404, "jurisdiction_id tidak dikenal."))
    if request.method == "POST":
        return _create(request, fmt)
    if request.method != "GET":
        return errors(fmt, 400, (400, "Metode tidak didukung."))
    g = request.GET
    qs = _public()
    extensions = g.get("extensions") == "true"
    if g.get("service_request_id"):
        ids = [x.strip() for x in g["service_request_id"].split(",") if x.strip()][:1000]
        rows = [_request_row(c, extensions) for c in qs.filter(tracking_number__in=ids)]
        return respond(fmt, "service_requests", "request", rows)
    start, end = (
        _parse_when(g["start_date"]) if g.get("start_date") else None,
        _parse_when(g["end_date"]) if g.get("end_date") else None,
    )
    if "invalid" in (start, end):
        return errors(fmt, 400, (400, "start_date/end_date harus W3C datetime."))
    now = timezone.now()
    end = end or now
    start = start or end - dt.timedelta(days=DEFAULT_DAYS)
    if (end - start).days > MAX_SPAN_DAYS or end < start:
        return errors(fmt, 400, (400, "Rentang start_date sampai end_date paling lama 90 hari."))
    qs = qs.filter(submitted_at__gte=start, submitted_at__lte=end)
    if g.get("service_code"):
        qs = qs.filter(service__code__in=g["service_code"].split(","))
    if g.get("status") in ("open", "closed"):
        qs = qs.exclude(status__in=CLOSED_STATES) if g["status"] == "open" else qs.filter(status__in=CLOSED_STATES)
    try:
        page = max(1, int(g.get("page", 1)))
        size = max(1, min(int(g.get("page_size", DEFAULT_MAX)), DEFAULT_MAX))
    except ValueError:
        return errors(fmt, 400, (400, "page dan page_size harus angka."))
    rows = qs.order_by("-submitted_at", "-pk")[(page - 1) * size : page * size]
    return respond(fmt, "service_requests", "request", [_request_row(c, extensions) for c in rows])


def _create(request, fmt):
    key = _key(request)
    if key == "throttled":
        return errors(fmt, 429, (429, "Terlalu banyak permintaan; tunggu satu menit."))
    if key is None or "reports:write" not in key.scopes:
        return errors(fmt, 403, (403, "api_key tidak valid."))
    p = request.POST
    service = Service.objects.filter(code=p.get("service_code", ""), active=True).first()
    if service is None:
        return errors(fmt, 400, ("service_code", "service_code tidak dikenal."))
    if not (p.get("lat") and p.get("long")) and not p.get("address_string") and not p.get("address_id"):
        return errors(fmt, 400, ("location", "Lokasi wajib: lat dan long, address_string, atau address_id."))
    description = strip_tags(p.get("description", "")).strip()
    if len(p.get("description", "")) > 4000:
        return errors(fmt, 400, ("description", "description paling panjang 4000 karakter."))
    answers = {}
    for name in p:
        match = re.fullmatch(r"attribute\[(\w+)\](\[\])?", name)
        if match:
            answers[match.group(1)] = p.getlist(name) if match.group(2) else p.get(name)
    first_words = " ".join(description.split()[:10])
    data = {
        "service": service,
        "title": (first_words[:100] or service.name),
        "body": description,
        "latitude": p.get("lat"),
        "longitude": p.get("long"),
        "area": p.get("address_id") or None,
        "address": p.get("address_string", ""),
        "answers": answers,
        "channel": Channel.OPEN311,
        "reporter": {
            "name": " ".join(x for x in (p.get("first_name", ""), p.get("last_name", "")) if x),
            "phone": p.get("phone", ""),
            "email": p.get("email", ""),
        },
    }
    try:
        result = lifecycle.submit(Actor.system(f"Open311 {key.name}"[:150]), data)
    except LifecycleError as exc:
        pairs = [(field, msgs[0]) for field, msgs in exc.fields.items()] or [(exc.code, exc.message)]
        return errors(fmt, 400, *pairs)
    notice = f"Laporan diterima. Batas verifikasi {w3c(result.complaint.verify_due_at)}."
    return respond(
        fmt,
        "service_requests",
        "request",
        [{"service_request_id": result.complaint.tracking_number, "service_notice": notice, "account_id": ""}],
        status=201,
    )


def request_detail(request, tracking, fmt):
    fmt = _fmt(fmt)
    c = _public().filter(tracking_number=tracking).first()
    if not fmt or c is None:
        return errors(fmt or "json", 404, (404, "Laporan tidak ditemukan."))
    return respond(fmt, "service_requests", "request", [_request_row(c, request.GET.get("extensions") == "true")])


def token(request, token, fmt):
    fmt = _fmt(fmt)
    c = _public().filter(tracking_number=token).first() or Complaint.objects.filter(tracking_number=token).first()
    if not fmt or c is None:
        return errors(fmt or "json", 404, (404, "Token tidak ditemukan."))
    # Ids are always returned at once, so a token is simply the id.
    return respond(fmt, "service_requests", "request", [{"service_request_id": c.tracking_number, "token": token}])


def _update_row(e):
    return {
        "update_id": str(e.pk),
        "service_request_id": e.complaint.tracking_number,
        "status": "closed" if e.to_status in CLOSED_STATES else "open",
        "description": e.message,
        "updated_datetime": w3c(e.created_at),
        "external_status_code": e.action,
        "media_url": "",
    }


@csrf_exempt
def updates(request, fmt):
    fmt = _fmt(fmt)
    if not fmt:
        return errors("json", 404, (404, "Format tidak dikenal."))
    if request.method == "POST":
        return _post_update(request, fmt)
    since = (
        _parse_when(request.GET["start_date"])
        if request.GET.get("start_date")
        else timezone.now() - dt.timedelta(days=DEFAULT_DAYS)
    )
    if since == "invalid":
        return errors(fmt, 400, (400, "start_date harus W3C datetime."))
    public_ids = _public().values("pk")
    events = (
        Event.objects.filter(visibility=Visibility.PUBLIC, created_at__gte=since, complaint_id__in=public_ids)
        .select_related("complaint")
        .order_by("created_at", "id")[:DEFAULT_MAX]
    )
    return respond(fmt, "service_request_updates", "request_update", [_update_row(e) for e in events])


def _post_update(request, fmt):
    key = _key(request)
    if key is None or key == "throttled" or "reports:write" not in key.scopes:
        return errors(fmt, 403, (403, "api_key tidak valid."))
    p = request.POST
    c = Complaint.objects.filter(tracking_number=p.get("service_request_id", "")).first()
    if c is None:
        return errors(fmt, 404, (404, "Laporan tidak ditemukan."))
    status = (p.get("external_status_code") or p.get("status") or "").lower()
    action = UPDATE_ACTIONS.get(status)
    if status == "duplicate":
        return errors(fmt, 400, ("status", "Penggabungan laporan ganda dilakukan admin di SIKESAL."))
    if action is None:
        return errors(fmt, 400, ("status", "Status tidak dikenal."))
    if c.institution_id is None:
        return errors(fmt, 400, ("service_request_id", "Laporan belum didisposisikan ke OPD."))
    # The back-office system speaks for the report's OPD (its liaison), never for another.
    actor = Actor(role=Role.OPD_LIAISON, institution_id=c.institution_id, label=f"Open311 {key.name}"[:150])
    message = strip_tags(p.get("description", "")).strip() or "Diperbarui melalui Open311."
    data = {} if action == "start" else {"message": message}
    try:
        result = lifecycle.transition(c, action, actor, **data)
    except LifecycleError as exc:
        pairs = [(f, m[0]) for f, m in exc.fields.items()] or [(exc.code, exc.message)]
        return errors(fmt, 400, *pairs)
    return respond(fmt, "service_request_updates", "request_update", [_update_row(result.event)], status=201)
