"""Open311 GeoReport v2 at /open311/v2/, strict to the specification (docs/api.md, the GeoReport v2 text).

Reports enter through the same lifecycle and validation as the web form, with channel open311. What each
caller may read is decided by `records` (which asks the policy); what every call shares (format, CORS,
jurisdiction_id, UTF-8, errors never in HTML) by `edge`. A back-office system's updates
(servicerequestupdates POST) act as the report's OPD, and only on reports that have one.
"""

import datetime as dt
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from sikesal.accounts.models import ApiKey
from sikesal.catalogue import snapshot
from sikesal.catalogue.models import CatalogueVersion, Service
from sikesal.complaints import lifecycle, policy, senders, stamps, submission
from sikesal.complaints.actions import Action
from sikesal.complaints.errors import LifecycleError
from sikesal.complaints.models import Complaint, Event
from sikesal.complaints.policy import Actor
from sikesal.complaints.states import CLOSED_STATES, Channel, Visibility
from sikesal.core import params
from sikesal.core.lru import ExpiringLRU
from sikesal.core.ratelimit import allow, lookup_allowed

from . import records
from .edge import endpoint
from .records import w3c
from .render import clean_text, errors, respond, respond_object

DEFAULT_DAYS, MAX_SPAN_DAYS, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE = 90, 90, 1000, 100
# Pages further than this are past any report (and an offset the database can still take): an empty list.
MAX_PAGE = 1_000_000
DESCRIPTION_MAX, MEDIA_URL_MAX = 4000, 500
FALLBACK_CHANGESET = dt.datetime(2026, 11, 28, tzinfo=dt.timezone(dt.timedelta(hours=7)))
# Extended statuses (FixMyStreet's back-office profile) → lifecycle actions.
UPDATE_ACTIONS = {
    "in_progress": Action.START,
    "investigating": Action.START,
    "action_scheduled": Action.ADD_FOLLOWUP,
    "open": Action.ADD_FOLLOWUP,
    "fixed": Action.COMPLETE_FOLLOWUP,
    "closed": Action.COMPLETE_FOLLOWUP,
    "not_councils_responsibility": Action.RETURN_NOT_AUTHORITY,
    "no_further_action": Action.COMPLETE_FOLLOWUP,
    "internal_referral": Action.RETURN_NOT_AUTHORITY,
}
# attribute[CODE] or attribute[CODE][] for a multivaluelist; a code is anything but brackets.
ATTRIBUTE_RE = re.compile(r"attribute\[([^\[\]]+)\](\[\])?")
# Our field names in a lifecycle error → the Open311 parameter the client sent.
PARAMETERS = {
    "body": "description",
    "title": "description",
    "latitude": "lat",
    "longitude": "long",
    "area": "address_id",
    "address": "address_string",
    "service": "service_code",
}


# Answers kept as bytes by what they depend on: the catalogue's version (services, a service definition)
# or a report's version (requests/{id}), with the language and format. These are the calls partner apps
# repeat most; the age bounds what a key cannot see (an OPD renamed).
ANSWERS_KEPT, ANSWER_MAX_AGE = 5000, 300
_answers = ExpiringLRU(ANSWERS_KEPT, ANSWER_MAX_AGE)


def forget_answers():
    _answers.clear()


def _kept(key, build):
    """The response `build()` makes for `key`; a 200 is kept and served again while the key holds."""
    if not settings.SIKESAL_PAGE_CACHE:
        return build()
    key = (*key, translation.get_language())
    hit = _answers.get(key)
    if hit is None:
        response = build()
        if response.status_code != 200:
            return response
        hit = response.content, response["Content-Type"]
        _answers.put(key, hit)
    return HttpResponse(hit[0], content_type=hit[1])


def page_size_default():
    """Rows per page when a client names none (docs/api.md).

    100, not the spec's "first 1000": 1000 rows are about 600 kB of JSON (0.3 s to build), too much for a
    phone on a slow link; Chicago's Open311 server defaults to 50 for the same reason. A client asks for
    more with page_size (up to 1000) and pages with page.
    """
    return max(1, min(int(getattr(settings, "SIKESAL_OPEN311_PAGE_SIZE", DEFAULT_PAGE_SIZE)), MAX_PAGE_SIZE))


def _key(request):
    key = ApiKey.lookup(request.POST.get("api_key") or request.GET.get("api_key"))
    if key is not None and not allow("api-key", key.pk, key.rate_limit_per_minute, 60):
        return "throttled"
    return key


def _lookup_allowed(request, numbers=1):
    """Looking reports up by id: a partner naming its key counts against that key's own budget (a server
    following its reports is not one anonymous address); anyone else against the address's budget."""
    key = ApiKey.lookup(request.GET.get("api_key"))
    if key is not None:
        return allow("api-key-lookup", key.pk, key.rate_limit_per_minute, 60, cost=max(1, numbers))
    return lookup_allowed(request, numbers)


def _base_url(request):
    """The endpoint url, without a trailing slash: clients append "/services.xml" to it."""
    return request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": "xml"})).rsplit("/", 1)[0]


@endpoint("GET")
def discovery(request, fmt):
    # To the microsecond: two catalogue changes within one second still give two changesets.
    changeset = timezone.localtime(CatalogueVersion.current() or FALLBACK_CHANGESET).isoformat(timespec="microseconds")
    return respond_object(
        fmt,
        "discovery",
        {
            "changeset": changeset,
            "contact": "Diskominfo Kota Jambi, sikesal@jambikota.go.id",
            "key_service": _("API keys are issued by the SIKESAL admin of Kota Jambi."),
            "endpoints": [
                {
                    "specification": "http://wiki.open311.org/GeoReport_v2",
                    "url": _base_url(request),
                    "changeset": changeset,
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


def _uncategorised_row():
    return {
        "service_code": records.UNCATEGORISED.code,
        "service_name": str(records.UNCATEGORISED.name),
        "description": str(records.UNCATEGORISED.description),
        "metadata": False,
        "type": "realtime",
        "keywords": "",
        "group": "",
    }


@endpoint("GET")
def services(request, fmt):
    return _kept(("services", fmt, snapshot.version()), lambda: _services(fmt))


def _services(fmt):
    rows = [_service_row(s) for s in Service.objects.filter(active=True).select_related("group")]
    if all(row["service_code"] != records.UNCATEGORISED.code for row in rows):
        rows.append(_uncategorised_row())
    return respond(fmt, "services", "service", rows)


DATATYPE_DESCRIPTIONS = {
    "datetime": "W3C datetime, e.g. 2026-11-30T08:00:00+07:00",
    "number": "number, e.g. 12 or 3.5",
    "multivaluelist": "one or more keys: attribute[CODE][]=KEY",
}


@endpoint("GET")
def service_definition(request, code, fmt):
    return _kept(("service", code, fmt, snapshot.version()), lambda: _service_definition(code, fmt))


def _service_definition(code, fmt):
    service = Service.objects.filter(code=code, active=True).first()
    if service is None and code != records.UNCATEGORISED.code:
        return errors(fmt, 404, _("Unknown service_code."))
    attributes = [
        {
            "variable": True,
            "code": q["code"],
            "datatype": q["datatype"],
            "required": bool(q.get("required")),
            "datatype_description": DATATYPE_DESCRIPTIONS.get(q["datatype"], ""),
            "order": i,
            "description": q["description"],
            "values": [{"key": str(v["key"]), "name": v["name"]} for v in q.get("values", [])],
        }
        for i, q in enumerate(service.extra_questions if service else [], start=1)
    ]
    return respond_object(
        fmt,
        "service_definition",
        {"service_code": code, "attributes": attributes},
        item_names={"attributes": "attribute", "values": "value"},
    )


def _parse_when(value):
    """A W3C datetime (with or without an offset; without one it is WIB), or "invalid" (also a year no
    report has: core/params.py `moment`)."""
    return params.moment(value) or "invalid"


def _rows(request, found, extensions):
    return [records.row(request, c, extensions) for c in found]


@endpoint("GET", "POST")
def requests_view(request, fmt):
    if request.method == "POST":
        return _create(request, fmt)
    g = request.GET
    extensions = g.get("extensions") == "true"
    if g.get("service_request_id"):
        ids = [x.strip() for x in g["service_request_id"].split(",") if x.strip()][:MAX_PAGE_SIZE]
        if not _lookup_allowed(request, len(ids)):
            return errors(fmt, 429, _("Too many lookups by id; wait a minute."))
        found = records.by_ids(ids, extensions)
        return respond(fmt, "service_requests", "request", _rows(request, found, extensions))
    start, end = (
        _parse_when(g["start_date"]) if g.get("start_date") else None,
        _parse_when(g["end_date"]) if g.get("end_date") else None,
    )
    if "invalid" in (start, end):
        return errors(fmt, 400, _("start_date and end_date must be W3C datetimes."))
    end = end or timezone.now()
    start = start or end - dt.timedelta(days=DEFAULT_DAYS)
    if end - start > dt.timedelta(days=MAX_SPAN_DAYS) or end < start:
        return errors(fmt, 400, _("From start_date to end_date may span at most 90 days."))
    qs = records.listed().filter(submitted_at__gte=start, submitted_at__lte=end)
    if g.get("service_code"):
        qs = qs.filter(service__code__in=g["service_code"].split(","))
    statuses = set(g.get("status", "").split(",")) - {""}
    if statuses - {"open", "closed"}:
        return errors(fmt, 400, _("status must be open or closed."))
    if statuses == {"open"}:
        qs = qs.exclude(status__in=CLOSED_STATES)
    elif statuses == {"closed"}:
        qs = qs.filter(status__in=CLOSED_STATES)
    try:
        page = max(1, min(int(g.get("page", 1)), MAX_PAGE))
        size = max(1, min(int(g.get("page_size", page_size_default())), MAX_PAGE_SIZE))
    except ValueError:
        return errors(fmt, 400, _("page and page_size must be whole numbers."))
    found = records.fetch(qs.order_by("-submitted_at", "-pk")[(page - 1) * size : page * size], extensions)
    return respond(fmt, "service_requests", "request", _rows(request, found, extensions))


def _attributes(post, service):
    """Answers from attribute[CODE] / attribute[CODE][]; datetimes checked here (W3C, stored normalized)."""
    answers = {}
    for name in post:
        match = ATTRIBUTE_RE.fullmatch(name)
        if match:
            answers[match.group(1)] = post.getlist(name) if match.group(2) else post.get(name)
    problems = []
    for question in service.extra_questions if service else []:
        code = question["code"]
        if question.get("datatype") != "datetime" or answers.get(code) in (None, "", []):
            continue
        value = answers[code][0] if isinstance(answers[code], list) else answers[code]
        parsed = _parse_when(value)
        if parsed == "invalid" or not re.match(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d", str(value).strip()):
            problems.append(
                _("attribute[%(code)s]: enter a W3C datetime, e.g. 2026-11-30T08:00:00+07:00.") % {"code": code}
            )
        else:
            answers[code] = w3c(parsed)
    return answers, problems


def _media_url(value):
    """A media_url as given, checked to be an http(s) link; nothing is fetched."""
    value = clean_text(value or "").strip()
    if not value:
        return "", None
    try:
        if len(value) > MEDIA_URL_MAX:
            raise ValidationError("too long")
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        return "", _("media_url must be an http or https link of at most 500 characters.")
    return value, None


def _create(request, fmt):
    key = _key(request)
    if key == "throttled":
        return errors(fmt, 429, _("Too many requests; wait a minute."))
    if key is None:
        return errors(fmt, 403, _("Invalid api_key."))
    partner = Actor.partner(key)
    if not policy.may(partner, Action.SUBMIT, None):
        return errors(fmt, 403, _("This api_key may not file reports (scope reports:file)."))
    p = request.POST
    code = p.get("service_code", "").strip()
    if not code:
        return errors(fmt, 400, _("service_code is required."))
    service = snapshot.service(code)
    if service is None and code != records.UNCATEGORISED.code:
        return errors(fmt, 404, _("Unknown service_code."))
    problems = []
    if not (p.get("lat") and p.get("long")) and not p.get("address_string") and not p.get("address_id"):
        problems.append(_("A location is required: lat and long, address_string, or address_id."))
    raw_description = clean_text(p.get("description", ""))
    if len(raw_description) > DESCRIPTION_MAX:
        problems.append(_("description is at most 4000 characters."))
    description = strip_tags(raw_description).strip()
    answers, attribute_problems = _attributes(p, service)
    media_url, media_problem = _media_url(p.get("media_url"))
    problems += attribute_problems + ([media_problem] if media_problem else [])
    if problems:
        return errors(fmt, 400, *problems)
    first_words = " ".join(description.split()[:10])
    # The media link is kept with the description the staff verify (and the public reads once verified).
    body = f"{description}\n\nmedia_url: {media_url}" if media_url else description
    data = {
        "service": service,
        "title": (first_words[:100] or (service.name if service else str(records.UNCATEGORISED.name))),
        "body": body,
        "latitude": p.get("lat"),
        "longitude": p.get("long"),
        "area": p.get("address_id") or None,
        "address": clean_text(p.get("address_string", "")),
        "answers": answers,
        "channel": Channel.OPEN311,
        "reporter": {
            "name": clean_text(" ".join(x for x in (p.get("first_name", ""), p.get("last_name", "")) if x)),
            "phone": p.get("phone", ""),
            "email": p.get("email", ""),
        },
    }
    screened = senders.check_reporter(data["reporter"], Channel.OPEN311)  # the web form's rule
    if screened.limited:
        return errors(fmt, 429, senders.too_many_message())
    try:
        result = submission.submit(partner, data, held_by=screened.entry)
    except LifecycleError as exc:
        return errors(fmt, 400, *_lifecycle_problems(exc))
    notice = _("Report received. It is verified by %(due)s; until then only its status is public.") % {
        "due": w3c(result.complaint.verify_due_at)
    }
    return respond(
        fmt,
        "service_requests",
        "request",
        [{"service_request_id": result.complaint.tracking_number, "service_notice": notice, "account_id": None}],
    )


def _lifecycle_problems(exc):
    """A lifecycle error as descriptions naming the Open311 parameter: "attribute[besar_bocor]: ..."."""
    problems = []
    for field, messages in exc.fields.items():
        if field.startswith("answers."):
            name = f"attribute[{field.removeprefix('answers.')}]"
        else:
            name = PARAMETERS.get(field, field)
        problems += [f"{name}: {message}" for message in messages]
    return problems or [str(exc.message)]


@endpoint("GET")
def request_detail(request, tracking, fmt):
    if not _lookup_allowed(request):
        return errors(fmt, 429, _("Too many lookups by id; wait a minute."))
    extensions = request.GET.get("extensions") == "true"
    stamp = stamps.stamp(tracking)
    if stamp is None:
        return errors(fmt, 404, _("No report with this id."))
    # The host is in the key: a photo's media_url is an absolute link.
    key = ("request", tracking, fmt, extensions, request.get_host(), request.scheme, *stamp)
    return _kept(key, lambda: _request_detail(request, tracking, fmt, extensions))


def _request_detail(request, tracking, fmt, extensions):
    found = records.by_ids([tracking], extensions)
    if not found:
        return errors(fmt, 404, _("No report with this id."))
    return respond(fmt, "service_requests", "request", _rows(request, found, extensions))


@endpoint("GET")
def token(request, token, fmt):
    if not _lookup_allowed(request):
        return errors(fmt, 429, _("Too many lookups by id; wait a minute."))
    number = Complaint.objects.filter(tracking_number=token).values_list("tracking_number", flat=True).first()
    if number is None:
        return errors(fmt, 404, _("Unknown token."))
    # Ids are always returned at once, so a token is simply the id.
    return respond(fmt, "service_requests", "request", [{"service_request_id": number, "token": token}])


def _update_row(e):
    return {
        "update_id": str(e.pk),
        "service_request_id": e.complaint.tracking_number,
        "status": "closed" if e.to_status in CLOSED_STATES else "open",
        "description": e.message,
        "updated_datetime": w3c(e.created_at),
        "external_status_code": e.action,
        "media_url": None,
    }


@endpoint("GET", "POST")
def updates(request, fmt):
    if request.method == "POST":
        return _post_update(request, fmt)
    since = (
        _parse_when(request.GET["start_date"])
        if request.GET.get("start_date")
        else timezone.now() - dt.timedelta(days=DEFAULT_DAYS)
    )
    if since == "invalid":
        return errors(fmt, 400, _("start_date must be a W3C datetime."))
    events = (
        Event.objects.filter(
            visibility=Visibility.PUBLIC, created_at__gte=since, complaint_id__in=records.public().values("pk")
        )
        .select_related("complaint")
        .order_by("created_at", "id")[:MAX_PAGE_SIZE]
    )
    return respond(fmt, "service_request_updates", "request_update", [_update_row(e) for e in events])


def _post_update(request, fmt):
    key = _key(request)
    if key is None or key == "throttled":
        return errors(fmt, 403, _("Invalid api_key."))
    # The partner acts through the policy like a person of its one institution: an acting key
    # (reports:act) on that institution's reports, never on another's; a filing key on none.
    partner = Actor.partner(key)
    p = request.POST
    number = p.get("service_request_id", "").strip()
    if not number:
        return errors(fmt, 400, _("service_request_id is required."))
    c = Complaint.objects.filter(tracking_number=number).first()
    # Any report's id is followable (`records.by_ids`), so an existing report the key may not act on is
    # refused as such (403), not hidden behind a 404.
    if c is None:
        return errors(fmt, 404, _("No report with this id."))
    status = (p.get("external_status_code") or p.get("status") or "").lower()
    action = UPDATE_ACTIONS.get(status)
    if status == "duplicate":
        return errors(fmt, 400, _("status: duplicates are merged by the admin in SIKESAL."))
    if action is None:
        return errors(fmt, 400, _("status: unknown status."))
    if c.institution_id is None:
        return errors(fmt, 400, _("service_request_id: the report has not been dispositioned to an OPD yet."))
    if not policy.may(partner, action, c):
        return errors(fmt, 403, _("This api_key may not update this report (scope reports:act, its own OPD)."))
    actor = partner
    message = clean_text(strip_tags(p.get("description", ""))).strip() or _("Updated through Open311.")
    data = {} if action == Action.START else {"message": message}
    try:
        result = lifecycle.transition(c, action, actor, **data)
    except LifecycleError as exc:
        return errors(fmt, 400, *_lifecycle_problems(exc))
    return respond(fmt, "service_request_updates", "request_update", [_update_row(result.event)])
