"""REST API v1 for partner apps (city super app, kiosks, bots) and the web pages' own calls.

Auth: an API key in `X-API-Key` (partner apps: per-key scopes and rate limit) or the session
(staff and reporters logged in). Every change goes through the lifecycle; every read through the
policy. Errors are RFC 9457 problem details with an Indonesian `detail` and a machine `code`.
"""

import base64
import binascii
import datetime as dt
import json

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import File, Form, NinjaAPI, Query, Schema, Status, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.files import UploadedFile
from ninja.parser import Parser
from ninja.security import APIKeyHeader, django_auth

from sikesal.accounts.models import ApiKey
from sikesal.catalogue.models import Area, AreaLevel, Institution, Service
from sikesal.complaints import lifecycle, policy, senders, submission, timeline
from sikesal.complaints.actions import Action
from sikesal.complaints.errors import LifecycleError, NotAllowed, TooManyReports
from sikesal.complaints.models import Complaint
from sikesal.complaints.policy import Actor
from sikesal.complaints.states import CLOSED_STATES, Channel
from sikesal.core import params
from sikesal.core.ratelimit import FilingBudget, allow
from sikesal.portal import statistics


class Throttled(Exception):
    pass


class ApiKeyAuth(APIKeyHeader):
    param_name = "X-API-Key"

    def authenticate(self, request, key):
        api_key = ApiKey.lookup(key)
        if api_key is None:
            return None
        if not allow("api-key", api_key.pk, api_key.rate_limit_per_minute, 60):
            raise Throttled
        request.api_key = api_key
        return api_key


class SikesalAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        """Error answers are RFC 9457 documents: say so in the OpenAPI too."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if str(status) >= "400" and "application/json" in content:
                        content["application/problem+json"] = content.pop("application/json")
        return schema


class Docs(Swagger):
    """swagger-ui in our own page: a language, a phone's viewport, a main landmark and colours that pass axe
    (sikesal/templates/api/docs.html, static/api/docs.css). Without deep links an operation's path is text,
    not a link nested in the button that opens it."""

    template = "api/docs.html"

    def __init__(self):
        super().__init__(settings={"deepLinking": False})


class StrictJson(Parser):
    """A body with a lone surrogate is unreadable (400, `unreadable_body`), like any body that is not JSON."""

    def parse_body(self, request):
        return params.json_body(request.body)


api = SikesalAPI(
    parser=StrictJson(),
    title="SIKESAL API",
    version="1",
    description="Laporan pelayanan publik Kota Jambi. Kunci API di header X-API-Key.",
    urls_namespace="api_v1",
    auth=[ApiKeyAuth(), django_auth],
    docs=Docs(),
)


def problem(request, status, code, detail, errors=None):
    body = {
        "type": f"urn:sikesal:problem:{code}",
        "title": code,
        "status": status,
        "detail": str(detail),
        "code": code,
    }
    if errors:
        body["errors"] = errors
    response = api.create_response(request, body, status=status)
    response["Content-Type"] = "application/problem+json"
    return response


@api.exception_handler(LifecycleError)
def lifecycle_error(request, exc):
    return problem(request, exc.status, exc.code, exc.message, exc.as_dict()["fields"] or None)


@api.exception_handler(ValidationError)
def validation_error(request, exc):
    errors = {".".join(str(p) for p in e.get("loc", [])[1:]) or "body": [e.get("msg", "")] for e in exc.errors}
    return problem(request, 422, "invalid_request", _("The request has errors; nothing was saved."), errors)


@api.exception_handler(HttpError)
def http_error(request, exc):
    if exc.status_code == 400:  # ninja's own "Cannot parse request body"
        return problem(request, 400, "unreadable_body", _("The request body could not be read as JSON or a form."))
    return problem(request, exc.status_code, "http_error", str(exc))


@api.exception_handler(AuthenticationError)
def auth_error(request, exc):
    return problem(request, 401, "unauthenticated", _("A valid API key (X-API-Key) or a log-in is needed."))


@api.exception_handler(Throttled)
def throttled(request, exc):
    response = problem(request, 429, "rate_limited", _("Too many requests for this key. Please wait a minute."))
    response["Retry-After"] = "60"
    return response


@api.exception_handler(Http404)
def not_found(request, exc):
    return problem(request, 404, "not_found", _("Not found."))


def actor_for(request):
    if getattr(request, "api_key", None) is not None:
        # A partner application, bound to its key's scopes (and, for an acting key, one institution).
        return Actor.partner(request.api_key)
    return Actor.for_user(request.user)


def require_scope(request, scope):
    if not policy.partner_may(actor_for(request), scope):
        raise NotAllowed("missing_scope", _("This API key may not do this (scope %(scope)s).") % {"scope": scope})


# --- Schemas --------------------------------------------------------------------------------------


class ReporterIn(Schema):
    name: str = ""
    phone: str = ""
    email: str = ""


class ReportIn(Schema):
    type: str = "pengaduan"
    service: str
    title: str
    body: str
    incident_date: dt.date | None = None
    latitude: float | None = None
    longitude: float | None = None
    area: str | None = None
    address: str = ""
    is_anonymous: bool = False
    is_secret: bool = False
    answers: dict = {}
    reporter: ReporterIn | None = None


class ReportFormIn(Schema):
    """The multipart form's fields: the same report, flattened."""

    type: str = "pengaduan"
    service: str
    title: str
    body: str
    incident_date: dt.date | None = None
    latitude: float | None = None
    longitude: float | None = None
    area: str | None = None
    address: str = ""
    is_anonymous: bool = False
    is_secret: bool = False
    answers: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""
    reporter_email: str = ""


class Problem(Schema):
    """RFC 9457 problem details; `detail` in Indonesian, `code` for machines."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: dict | None = None


# Every operation may answer with these problems.
PROBLEMS = dict.fromkeys((400, 401, 403, 404, 409, 422, 429), Problem)


class Created(Schema):
    tracking_number: str
    status: str
    private_url: str
    replayed: bool


class ReportOut(Schema):
    tracking_number: str
    status: str
    status_name: str
    title: str | None
    body: str | None
    service: str | None
    opd: str | None
    kelurahan: str | None
    kecamatan: str | None
    latitude: float | None
    longitude: float | None
    submitted_at: dt.datetime
    due_at: dt.datetime | None
    is_secret: bool


class Page(Schema):
    items: list[ReportOut]
    next_cursor: str | None


class EventOut(Schema):
    at: dt.datetime
    action: str
    label: str
    by: str
    message: str


class ActionIn(Schema):
    version: int | None = None
    message: str | None = None
    note: str | None = None
    institution: int | None = None
    rating: int | None = None
    comment: str | None = None
    reason: str | None = None
    target: str | None = None
    internal: bool | None = None


class Named(Schema):
    code: str
    name: str


# --- Reports --------------------------------------------------------------------------------------


def _out(c, full):
    area = c.area
    hide = c.is_secret and not full
    return {
        "tracking_number": c.tracking_number,
        "status": c.status,
        "status_name": str(c.get_status_display()),
        "title": None if hide else c.title,
        "body": None if hide else c.body,
        "service": c.service.code if c.service else None,
        "opd": c.institution.short_name if c.institution else None,
        "kelurahan": area.name if area and not hide else None,
        "kecamatan": area.parent.name if area and area.parent and not hide else None,
        "latitude": None if hide else c.latitude,
        "longitude": None if hide else c.longitude,
        "submitted_at": c.submitted_at,
        "due_at": c.due_at,
        "is_secret": c.is_secret,
    }


def _visible(actor):
    """What the caller reads: its own reports in full (staff, reporters, an acting partner's institution),
    otherwise the public part of public reports."""
    base = Complaint.objects.select_related("service", "institution", "area__parent")
    own = policy.visible_complaints(actor, base)
    if not own.exists():  # the public, and callers with nothing of their own
        return policy.public_complaints(base), False
    return own, True


def _submit(request, payload, files, idempotency_key):
    require_scope(request, policy.SCOPE_FILE)
    data = payload.dict()
    data["reporter"] = data.get("reporter") or {}
    channel = Channel.API
    data["channel"] = channel
    actor = actor_for(request)
    if idempotency_key:
        # Namespaced by who is calling (kind and id): a partner key can never replay a staff member's
        # or another key's submission, nor receive its private link.
        data["idempotency_key"] = f"api:{actor.principal}:{idempotency_key}"[:80]
    if not policy.may(actor, Action.SUBMIT, None):
        raise NotAllowed("not_allowed", _("You may not file reports here."))
    # The web form's rule (complaints/senders.py); a repeat of a report already filed is its replay.
    key = data.get("idempotency_key")
    repeat = bool(key) and Complaint.objects.filter(idempotency_key=key).exists()
    # A person in a browser session (a citizen after a one-time code, staff): the web form's limits on
    # their address, their account and every contact, one budget for both doors (core/ratelimit.py).
    budget = (
        None if repeat or getattr(request, "api_key", None) is not None else FilingBudget(request, data["reporter"])
    )
    try:
        if budget is not None and not budget.allowed:
            raise TooManyReports(
                "too_many_reports", _("Too many reports from this connection or contact. Please try again later.")
            )
        screened = senders.Verdict() if repeat else senders.check_reporter(data["reporter"], channel)
        screened.refuse_if_limited()
        result = submission.submit(actor, data, files, held_by=screened.entry)
    except Exception:
        if budget is not None:
            budget.refund()  # only reports filed count
        raise
    url = request.build_absolute_uri(f"/pelapor/{result.secret}/")
    return Status(
        200 if result.replayed else 201,
        {
            "tracking_number": result.complaint.tracking_number,
            "status": result.complaint.status,
            "private_url": url,
            "replayed": result.replayed,
        },
    )


@api.post("/reports", response={201: Created, 200: Created, **PROBLEMS}, summary="File a report (JSON)")
def create_report(request, payload: ReportIn):
    return _submit(request, payload, [], request.headers.get("Idempotency-Key"))


@api.post(
    "/reports/upload",
    response={201: Created, 200: Created, **PROBLEMS},
    summary="File a report with attachments (multipart)",
)
def create_report_multipart(
    request,
    payload: Form[ReportFormIn],
    attachments: list[UploadedFile] = File(None),  # noqa: B008 - ninja's way to declare uploads
):
    flat = payload.dict()
    reporter = {k: flat.pop(f"reporter_{k}") for k in ("name", "phone", "email")}
    try:
        answers = json.loads(flat.pop("answers") or "{}")
    except ValueError:
        raise LifecycleError("invalid_answers", _("answers must be JSON.")) from None
    report = ReportIn(**flat, answers=answers if isinstance(answers, dict) else {}, reporter=ReporterIn(**reporter))
    return _submit(request, report, attachments or [], request.headers.get("Idempotency-Key"))


class ListFilters(Schema):
    service: str | None = None
    kecamatan: str | None = None
    status: str | None = None
    cursor: str | None = None
    limit: int = 50


@api.get("/reports", response={200: Page, **PROBLEMS}, summary="List reports (newest first, cursor pagination)")
def list_reports(request, filters: Query[ListFilters]):
    qs, full = _visible(actor_for(request))
    if filters.service:
        qs = qs.filter(service__code=filters.service)
    if filters.kecamatan:
        qs = qs.filter(area__parent_id=filters.kecamatan)
    if filters.status == "open":
        qs = qs.exclude(status__in=CLOSED_STATES)
    elif filters.status == "closed":
        qs = qs.filter(status__in=CLOSED_STATES)
    if filters.cursor:
        try:
            raw_at, raw_pk = base64.urlsafe_b64decode(filters.cursor.encode()).decode().split("|")
            at, pk = dt.datetime.fromisoformat(raw_at), int(raw_pk)
            # only what this API hands out: an aware time of our era and a row id, nothing a database
            # would overflow on (year 1 in UTC, a 30-digit id)
            if at.tzinfo is None or not 2000 <= at.year <= 2100 or not 0 < pk < 2**63:
                raise ValueError
            qs = qs.filter(submitted_at__lte=at).exclude(submitted_at=at, pk__gte=pk)
        except (ValueError, UnicodeDecodeError, binascii.Error):
            raise LifecycleError("invalid_cursor", _("The cursor is not valid.")) from None
    limit = max(1, min(filters.limit, 200))
    rows = list(qs.order_by("-submitted_at", "-pk")[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = base64.urlsafe_b64encode(f"{last.submitted_at.isoformat()}|{last.pk}".encode()).decode()
    return {"items": [_out(c, full) for c in rows[:limit]], "next_cursor": next_cursor}


def _get(request, tracking, own_only=False):
    """The report as the caller reads it; `own_only` for acting on it (a public copy is not enough)."""
    actor = actor_for(request)
    qs, full = _visible(actor)
    if own_only and not full:
        raise Http404
    c = qs.filter(tracking_number=tracking).first()
    if c is None:
        raise Http404
    return c, actor, full


@api.get("/reports/{tracking}", response={200: ReportOut, **PROBLEMS}, summary="One report")
def get_report(request, tracking: str):
    c, _actor, full = _get(request, tracking)
    return _out(c, full)


@api.get(
    "/reports/{tracking}/timeline",
    response={200: list[EventOut], **PROBLEMS},
    summary="The report's timeline, as the caller may see it",
)
def get_timeline(request, tracking: str):
    c, actor, full = _get(request, tracking)
    if c.is_secret and not full:
        return []
    audience = policy.timeline_audience(actor, c) if full else "public"
    return [
        {
            "at": e.created_at,
            "action": e.action,
            "label": str(timeline.action_label(e)),
            "by": str(timeline.actor_display(e)),
            "message": e.message,
        }
        for e in timeline.events_for(c, audience)
    ]


@api.post(
    "/reports/{tracking}/actions/{action}",
    response={200: ReportOut, **PROBLEMS},
    summary="A lifecycle action (as the logged-in user's role allows)",
)
def act(request, tracking: str, action: str, payload: ActionIn):
    require_scope(request, policy.SCOPE_ACT)  # a partner acts only with an acting key, on its institution
    c, actor, _full = _get(request, tracking, own_only=True)
    data = {k: v for k, v in payload.dict().items() if v is not None and k != "version"}
    lifecycle.transition(c, action, actor, expected_version=payload.version, **data)
    c.refresh_from_db()
    return _out(c, True)


class EscalationIn(Schema):
    """The identity Pasal 24 UU 37/2008 requires, and the reporter's consent."""

    full_name: str = ""
    birth_place: str = ""
    birth_date: str = ""
    marital_status: str = ""
    occupation: str = ""
    address: str = ""
    losses: str = ""
    remedy: str = ""
    nik: str = ""
    phone: str = ""
    email: str = ""
    confidential: bool = False
    consent: bool = False


@api.post(
    "/reports/{tracking}/ombudsman",
    response={200: ReportOut, **PROBLEMS},
    summary="The reporter takes the report to the Ombudsman (same eligibility and identity as the web form)",
)
def escalate_to_ombudsman(request, tracking: str, payload: EscalationIn):
    from sikesal.integrations.ombudsman import service as ombudsman

    c, actor, _full = _get(request, tracking, own_only=True)
    ombudsman.escalate(c, actor, payload.dict())
    c.refresh_from_db()
    return _out(c, True)


class EscalationStateIn(Schema):
    state: str
    message: str = ""


class EscalationOut(Schema):
    tracking_number: str
    state: str


@api.post(
    "/ombudsman/escalations/{tracking}/state",
    response={200: EscalationOut, **PROBLEMS},
    summary="The Ombudsman observer records an escalation's progress (sent, received, examining, closed)",
)
def escalation_state(request, tracking: str, payload: EscalationStateIn):
    from sikesal.integrations.ombudsman import service as ombudsman
    from sikesal.integrations.ombudsman.models import Escalation

    actor = actor_for(request)
    if not policy.can_act_as_ombudsman(actor):
        raise NotAllowed("not_allowed", _("Only the Ombudsman observer records an escalation's progress."))
    escalation = Escalation.objects.select_related("complaint").filter(complaint__tracking_number=tracking).first()
    if escalation is None:
        raise Http404
    ombudsman.update_state(escalation, actor, payload.state, payload.message)
    return {"tracking_number": tracking, "state": escalation.state}


# --- Catalogue and statistics ----------------------------------------------------------------------


@api.get(
    "/catalogue/services",
    response={200: list[dict], **PROBLEMS},
    auth=None,
    summary="Services citizens can report about",
)
def services(request):
    return [
        {
            "code": s.code,
            "name": s.name,
            "group": s.group.name,
            "opd": s.default_institution.short_name,
            "target_hours": s.target_hours,
            "questions": s.extra_questions,
        }
        for s in Service.objects.filter(active=True).select_related("group", "default_institution")
    ]


@api.get("/catalogue/opds", response={200: list[dict], **PROBLEMS}, auth=None, summary="OPDs and external institutions")
def opds(request):
    return [
        {"id": i.pk, "short_name": i.short_name, "name": i.name, "kind": i.kind}
        for i in Institution.objects.filter(active=True)
    ]


@api.get(
    "/catalogue/areas",
    response={200: list[dict], **PROBLEMS},
    auth=None,
    summary="Kecamatan and kelurahan with Kemendagri codes",
)
def areas(request):
    return [
        {"code": a.code, "name": a.name, "level": a.level, "parent": a.parent_id}
        for a in Area.objects.exclude(level=AreaLevel.KOTA)
    ]


@api.get(
    "/statistics",
    response={200: dict, **PROBLEMS},
    auth=None,
    summary="The public statistics (the same numbers as the page)",
)
def stats(request):
    data = statistics.cached()
    return {k: v for k, v in data.items() if k != "compliance"} | {
        "compliance": [{k: v for k, v in o.items() if k != "id"} for o in data["compliance"]]
    }
