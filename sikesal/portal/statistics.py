"""Public statistics: counts by status, channel, OPD, service, kecamatan and month; response and resolution
times; deadline compliance per OPD; reporter satisfaction.

Aggregates never reveal content or identity, so rahasia reports are counted too; merged duplicates are
not (they would count one problem twice). Medians and working-day compliance are computed in Python
over the period's rows (values only, at most MAX_ROWS of them, newest first).
"""

import datetime as dt
import statistics as pystats

from django.conf import settings
from django.db.models import Avg, Count
from django.db.models.functions import TruncMonth
from django.utils import timezone

from sikesal.catalogue import calendar
from sikesal.complaints.deadlines import DEADLINES
from sikesal.complaints.models import Complaint
from sikesal.complaints.states import Channel, Status
from sikesal.core import params as params_module

MAX_ROWS = 200_000
RESOLVED = (Status.CLOSED_REPORTER, Status.CLOSED_ADMIN, Status.CLOSED_SYSTEM)


def _counts(qs, field, label_field=None):
    rows = qs.values(field).annotate(n=Count("id")).order_by("-n")
    return [{"key": r[field] or "", "label": r[field] or "—", "n": r["n"]} for r in rows]


def _cache_key(start, end):
    return f"stats:{start.isoformat() if start else ''}:{end.isoformat() if end else ''}"


def cached(start=None, end=None, *, refresh=False):
    """`compute`, kept for SIKESAL_STATS_CACHE_SECONDS: the public page and its CSV are read far more
    often than they change, and at a million reports one computation takes seconds. The page says
    when the figures were computed. The worker refreshes the unfiltered figures before they expire
    (`refresh=True`, the periodic job), so visitors of the plain page never wait for a computation."""
    ttl = settings.SIKESAL_STATS_CACHE_SECONDS
    if ttl <= 0:
        return compute(start, end)
    from django.core.cache import cache

    key = _cache_key(start, end)
    data = None if refresh else cache.get(key)
    if data is None or timezone.now() - data["computed_at"] > dt.timedelta(seconds=ttl):
        data = compute(start, end)
        cache.set(key, data, 2 * ttl)
    return data


def compute(start=None, end=None, now=None):
    now = now or timezone.now()
    # From the read replica when one is configured (DATABASE_REPLICA_URL): statistics may lag a few
    # seconds behind the primary, and their heavy aggregates stay off it.
    qs = Complaint.objects.using(settings.SIKESAL_STATS_DB).exclude(status=Status.MERGED)
    if start:
        qs = qs.filter(submitted_at__gte=start)
    if end:
        qs = qs.filter(submitted_at__lt=end)
    labels = dict(Status.choices)
    by_status = [dict(r, label=str(labels.get(r["key"], r["key"]))) for r in _counts(qs, "status")]
    channels = dict(Channel.choices)
    by_channel = [dict(r, label=str(channels.get(r["key"], r["key"]))) for r in _counts(qs, "channel")]
    by_month = [
        {"key": r["m"].strftime("%Y-%m"), "label": r["m"].strftime("%Y-%m"), "n": r["n"]}
        for r in qs.annotate(m=TruncMonth("submitted_at", tzinfo=calendar.WIB))
        .values("m")
        .annotate(n=Count("id"))
        .order_by("m")
    ]
    rows = list(
        qs.order_by("-submitted_at").values_list(
            "institution__short_name", "submitted_at", "verified_at", "first_response_at", "closed_at", "status",
            "institution_id", "reopen_count", "rating", "due_at",
        )[:MAX_ROWS]
    )  # fmt: skip
    # Compliance with the deadlines the SP4N rules publish, their lengths as the table names them.
    verify_days, final_days = (calendar.deadline_rule(DEADLINES[f].rule) for f in ("verify_due_at", "final_due_at"))
    followup = DEADLINES["followup_due_at"]
    first_hours = [(r[3] - r[1]).total_seconds() / 3600 for r in rows if r[3]]
    resolution_days = [(r[4] - r[1]).total_seconds() / 86400 for r in rows if r[4] and r[5] in RESOLVED]
    per_opd = {}
    for opd, submitted, verified, first, closed, status, opd_id, reopened, rating, due in rows:
        if not opd:
            continue
        o = per_opd.setdefault(
            opd,
            {"label": opd, "id": opd_id, "n": 0, "verified_in_time": 0, "followup_due": 0, "followup_in_time": 0,
             "resolved_60": 0, "overdue_now": 0, "reopened": 0, "ratings": []},
        )  # fmt: skip
        o["n"] += 1
        if verified and calendar.working_days_between(submitted, verified) <= verify_days:
            o["verified_in_time"] += 1
        if verified:
            followup_due = followup.due(None, verified)  # its clock from the verification
            if first or followup_due < now:  # only reports whose first follow-up was due (or came) count
                o["followup_due"] += 1
                if first and first <= followup_due:
                    o["followup_in_time"] += 1
        if status in RESOLVED and closed and (closed - submitted).days <= final_days:
            o["resolved_60"] += 1
        if due and due < now:
            o["overdue_now"] += 1
        if reopened:
            o["reopened"] += 1
        if rating:
            o["ratings"].append(rating)
    compliance = sorted(per_opd.values(), key=lambda o: -o["n"])
    for o in compliance:
        o["verified_share"] = round(100 * o["verified_in_time"] / o["n"]) if o["n"] else None
        o["followup_share"] = round(100 * o["followup_in_time"] / o["followup_due"]) if o["followup_due"] else None
        ratings = o.pop("ratings")
        o["rating"] = round(sum(ratings) / len(ratings), 2) if ratings else None
    rated = qs.filter(rating__isnull=False)
    distribution = {r["rating"]: r["n"] for r in rated.values("rating").annotate(n=Count("id"))}
    return {
        "computed_at": now,
        "total": qs.count(),
        "by_status": by_status,
        "by_channel": by_channel,
        "by_opd": _counts(qs.filter(institution__isnull=False), "institution__short_name"),
        "by_service": _counts(qs.filter(service__isnull=False), "service__name"),
        "by_kecamatan": _counts(qs.filter(area__isnull=False), "area__parent__name"),
        "by_month": by_month,
        "median_first_response_hours": round(pystats.median(first_hours), 1) if first_hours else None,
        "median_resolution_days": round(pystats.median(resolution_days), 1) if resolution_days else None,
        "compliance": compliance,
        "satisfaction": {
            "count": rated.count(),
            "average": round(rated.aggregate(a=Avg("rating"))["a"], 2) if distribution else None,
            "distribution": [{"key": str(k), "label": str(k), "n": distribution.get(k, 0)} for k in range(1, 6)],
        },
    }


def period(params):
    """(start, end, cleaned) from ?dari=YYYY-MM&sampai=YYYY-MM (inclusive months, WIB); bad values dropped."""
    cleaned = {}

    def month(value):
        parsed = params_module.year_month(value)
        return dt.datetime(*parsed, 1, tzinfo=calendar.WIB) if parsed else None

    start, last = month(params.get("dari")), month(params.get("sampai"))
    end = None
    if start:
        cleaned["dari"] = params["dari"]
    if last:
        cleaned["sampai"] = params["sampai"]
        end = dt.datetime(last.year + (last.month == 12), last.month % 12 + 1, 1, tzinfo=calendar.WIB)
    return start, end, cleaned


def csv_rows(data):
    """section,key,label,value rows of every aggregate."""
    for section in ("by_status", "by_channel", "by_opd", "by_service", "by_kecamatan", "by_month"):
        for r in data[section]:
            yield section, r["key"], r["label"], r["n"]
    yield "summary", "total", "total", data["total"]
    yield "summary", "median_first_response_hours", "median_first_response_hours", data["median_first_response_hours"]
    yield "summary", "median_resolution_days", "median_resolution_days", data["median_resolution_days"]
    for o in data["compliance"]:
        yield "verified_within_deadline_pct", o["label"], o["label"], o["verified_share"]
        yield "first_followup_within_deadline_pct", o["label"], o["label"], o["followup_share"]
    for r in data["satisfaction"]["distribution"]:
        yield "rating", r["key"], r["label"], r["n"]
    yield "satisfaction", "average", "average", data["satisfaction"]["average"]
