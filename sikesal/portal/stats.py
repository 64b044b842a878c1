"""Public statistics: the numbers behind /statistik/ and /statistik.csv.

Only aggregates leave this module: no title, body, tracking number or identity, so confidential
(rahasia) reports are counted like any other. Reports merged into another one are left out everywhere:
the problem is counted once, on the report it was merged into.

Counts are database aggregations (values/annotate/Count/Avg). Medians and the working-day deadline
shares need per-report timestamps; those are read as bare timestamp tuples, newest first, and at most
MAX_ROWS of them per figure. When the cap cuts a figure the result says so (`*_capped`) and the page
shows it. Working-day deadlines depend only on the WIB date of the start, so they are memoised per
date: the Python work is one dictionary lookup per row.

Definitions (shown on the page too):
- first response: `first_response_at - submitted_at` (the first public follow-up), in hours;
- resolution: `submitted_at` to `followup_completed_at` (the final follow-up) or, failing that,
  `closed_at`, for reports that are followed up or closed (by the reporter, an admin or the system);
  a report the reporter disputed and that is back with the OPD is not resolved;
- verified in time: verified no later than the end of the Nth working day after the day of submission
  (N = SIKESAL_DEADLINES["verify_working_days"]), counted over the verified reports each OPD holds;
- first follow-up in time: the first public follow-up no later than the end of the Mth working day after
  verification/disposition (M = SIKESAL_DEADLINES["first_followup_working_days"]), counted over the
  reports whose first follow-up has come or was due by now.
"""

import datetime as dt
import re
import statistics as pystats
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Avg, Case, CharField, Count, F, Min, When
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from sikesal.catalogue import calendar
from sikesal.catalogue.models import AreaLevel
from sikesal.complaints.models import Complaint
from sikesal.complaints.states import OPEN_STATES, Status

MAX_ROWS = 50_000  # per median / per deadline figure; far above Kota Jambi's ~1,000 reports a year
MIN_YEAR, MAX_YEAR = 2000, 2100
RESOLVED_STATES = (Status.FOLLOWED_UP, Status.CLOSED_REPORTER, Status.CLOSED_ADMIN, Status.CLOSED_SYSTEM)
ALL_OPDS = "all"

_YEAR = re.compile(r"[0-9]{4}")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def _now():
    return timezone.now()


def _ym(year, month):
    return f"{year:04d}-{month:02d}"


# --- Period -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Reports submitted in [start, end) (WIB month boundaries); None means unbounded."""

    year: int | None = None
    first_month: tuple[int, int] | None = None
    last_month: tuple[int, int] | None = None
    errors: tuple[str, ...] = field(default=())

    @property
    def start(self):
        if self.first_month:
            return dt.datetime(*self.first_month, 1, tzinfo=calendar.WIB)
        if self.year:
            return dt.datetime(self.year, 1, 1, tzinfo=calendar.WIB)
        return None

    @property
    def end(self):
        if self.last_month:
            year, month = self.last_month
            return dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=calendar.WIB)
        if self.year:
            return dt.datetime(self.year + 1, 1, 1, tzinfo=calendar.WIB)
        return None

    @property
    def query(self):
        """The cleaned GET parameters, to carry the period over to the CSV link."""
        q = {}
        if self.year:
            q["tahun"] = str(self.year)
        if self.first_month:
            q["dari"] = _ym(*self.first_month)
        if self.last_month:
            q["sampai"] = _ym(*self.last_month)
        return q

    @property
    def slug(self):
        return "-".join(self.query.values()) or "semua"

    @property
    def label(self):
        def month(ym):
            return date_format(dt.date(*ym, 1), "F Y")

        if self.first_month and self.last_month:
            if self.first_month == self.last_month:
                return month(self.first_month)
            return gettext("%(start)s to %(end)s") % {"start": month(self.first_month), "end": month(self.last_month)}
        if self.first_month:
            return gettext("from %(start)s") % {"start": month(self.first_month)}
        if self.last_month:
            return gettext("up to %(end)s") % {"end": month(self.last_month)}
        if self.year:
            return str(self.year)
        return gettext("all time")


def _shown(value):
    return value if len(value) <= 20 else value[:20] + "…"


def parse_period(params):
    """A Period from ?tahun=YYYY or ?dari=YYYY-MM&sampai=YYYY-MM (months inclusive, WIB).

    Bad values never raise: each is ignored with a message in `errors`. When months are given they
    win over the year.
    """
    errors = []

    def text(name):
        value = params.get(name, "")
        return value.strip() if isinstance(value, str) else ""

    year = None
    raw = text("tahun")
    if raw:
        if _YEAR.fullmatch(raw) and MIN_YEAR <= int(raw) <= MAX_YEAR:
            year = int(raw)
        else:
            errors.append(
                gettext("The year “%(value)s” was not understood and was ignored (use e.g. 2026).")
                % {"value": _shown(raw)}
            )

    def month(name):
        raw = text(name)
        if not raw:
            return None
        m = _MONTH.fullmatch(raw)
        if m and MIN_YEAR <= int(m[1]) <= MAX_YEAR and 1 <= int(m[2]) <= 12:
            return int(m[1]), int(m[2])
        errors.append(
            gettext("The month “%(value)s” was not understood and was ignored (use YYYY-MM, e.g. 2026-11).")
            % {"value": _shown(raw)}
        )
        return None

    first, last = month("dari"), month("sampai")
    if first and last and first > last:
        errors.append(gettext("The start month is after the end month; both were ignored."))
        first = last = None
    if first or last:
        year = None
    return Period(year=year, first_month=first, last_month=last, errors=tuple(errors))


# --- Aggregates -------------------------------------------------------------------------------------


def counted_reports(period=None):
    """Every report the statistics count: all but merged duplicates, submitted in the period."""
    qs = Complaint.objects.filter(merged_into__isnull=True).exclude(status=Status.MERGED)
    if period is not None and period.start:
        qs = qs.filter(submitted_at__gte=period.start)
    if period is not None and period.end:
        qs = qs.filter(submitted_at__lt=period.end)
    return qs.order_by()


def status_label(code):
    return Complaint(status=code).get_status_display()


def _pct(part, whole):
    return round(100 * part / whole, 1) if whole else None


def _rows(items, total):
    """[{key, label, n, pct}] from (key, label, n) triples."""
    return [{"key": k, "label": label, "n": n, "pct": _pct(n, total)} for k, label, n in items]


def _by_status(qs, total):
    counts = dict(qs.values_list("status").annotate(n=Count("id")))
    groups = []
    for key, label, members in (
        ("open", gettext("Still being handled"), [s for s in Status.values if s in OPEN_STATES]),
        (
            "closed",
            gettext("Closed, archived or forwarded"),
            [s for s in Status.values if s not in OPEN_STATES and s != Status.MERGED],
        ),
    ):
        rows = _rows(((s, status_label(s), counts[s]) for s in members if counts.get(s)), total)
        n = sum(r["n"] for r in rows)
        groups.append({"key": key, "label": label, "n": n, "pct": _pct(n, total), "rows": rows})
    return groups


def _grouped(qs, key, label, total, missing_label):
    rows = (
        qs.filter(**{f"{key}__isnull": False})
        .values(*dict.fromkeys((key, label)))
        .annotate(n=Count("id"))
        .order_by("-n", label)
    )
    items = [(r[key], r[label], r["n"]) for r in rows]
    missing = total - sum(n for _k, _l, n in items)
    if missing:
        items.append(("", missing_label, missing))
    return _rows(items, total)


def _by_kecamatan(qs, total):
    # A report's area is a kelurahan (its kecamatan is the parent) or, rarely, a kecamatan itself.
    code = Case(
        When(area__level=AreaLevel.KELURAHAN, then=F("area__parent__code")),
        When(area__level=AreaLevel.KECAMATAN, then=F("area__code")),
        output_field=CharField(),
    )
    name = Case(
        When(area__level=AreaLevel.KELURAHAN, then=F("area__parent__name")),
        When(area__level=AreaLevel.KECAMATAN, then=F("area__name")),
        output_field=CharField(),
    )
    return _grouped(
        qs.annotate(kec_code=code, kec_name=name), "kec_code", "kec_name", total, gettext("No location given")
    )


def _by_month(qs, total):
    counts = {}
    for month, n in (
        qs.annotate(m=TruncMonth("submitted_at", tzinfo=calendar.WIB)).values_list("m").annotate(n=Count("id"))
    ):
        if timezone.is_aware(month):
            month = month.astimezone(calendar.WIB)
        counts[(month.year, month.month)] = counts.get((month.year, month.month), 0) + n
    if not counts:
        return []
    # Every month between the first and the last with reports, so quiet months show as zero.
    (year, month), last = min(counts), max(counts)
    items = []
    while (year, month) <= last:
        items.append((_ym(year, month), date_format(dt.date(year, month, 1), "F Y"), counts.get((year, month), 0)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return _rows(items, total)


def _median(values):
    return round(pystats.median(values), 1) if values else None


def _durations(qs, end_field, unit_seconds):
    rows = list(qs.order_by("-submitted_at").values_list("submitted_at", end_field)[: MAX_ROWS + 1])
    capped = len(rows) > MAX_ROWS
    values = [(end - start).total_seconds() / unit_seconds for start, end in rows[:MAX_ROWS]]
    return {"median": _median(values), "n": len(values), "capped": capped}


def _deadlines(qs, now):
    """Per OPD holding the report: verified within N working days, first follow-up within M."""
    rules = settings.SIKESAL_DEADLINES
    verify_days, followup_days = rules["verify_working_days"], rules["first_followup_working_days"]
    memo = {}

    def due(instant, days):
        key = (calendar.wib_date(instant), days)
        if key not in memo:
            memo[key] = calendar.add_working_days(instant, days)
        return memo[key]

    rows = list(
        qs.filter(institution__isnull=False, verified_at__isnull=False)
        .order_by("-submitted_at")
        .values_list(
            "institution__short_name", "institution__name", "submitted_at", "verified_at", "first_response_at"
        )[: MAX_ROWS + 1]
    )
    capped = len(rows) > MAX_ROWS
    per_opd = {}
    total = {"key": ALL_OPDS, "label": gettext("All OPDs"), "name": ""}
    for short, name, submitted, verified, first in rows[:MAX_ROWS]:
        opd = per_opd.setdefault(short, {"key": short, "label": short, "name": name})
        for o in (opd, total):
            o["verified"] = o.get("verified", 0) + 1
            o["verified_in_time"] = o.get("verified_in_time", 0) + (verified <= due(submitted, verify_days))
            followup_due = due(verified, followup_days)
            if first is not None or followup_due < now:
                o["followup_due"] = o.get("followup_due", 0) + 1
                o["followup_in_time"] = o.get("followup_in_time", 0) + (first is not None and first <= followup_due)
            else:
                o["followup_not_yet_due"] = o.get("followup_not_yet_due", 0) + 1
    result = sorted(per_opd.values(), key=lambda o: (-o["verified"], o["label"]))
    if result:
        result.append(total)
    for o in result:
        for k in ("verified", "verified_in_time", "followup_due", "followup_in_time", "followup_not_yet_due"):
            o.setdefault(k, 0)
        o["verified_pct"] = _pct(o["verified_in_time"], o["verified"])
        o["followup_pct"] = _pct(o["followup_in_time"], o["followup_due"])
    return {
        "rows": result,
        "verify_working_days": verify_days,
        "first_followup_working_days": followup_days,
        "capped": capped,
    }


def _satisfaction(qs):
    rated = qs.filter(rating__isnull=False)
    summary = rated.aggregate(n=Count("id"), average=Avg("rating"))
    counts = dict(rated.values_list("rating").annotate(n=Count("id")))
    n = summary["n"]
    return {
        "n": n,
        "average": round(summary["average"], 2) if n else None,
        "distribution": _rows(((str(k), "★" * k, counts.get(k, 0)) for k in range(1, 6)), n),
    }


def compute(period=None, now=None):
    """Every aggregate of the public statistics page, as plain dicts and numbers."""
    now = now or _now()
    qs = counted_reports(period)
    total = qs.count()
    by_status = _by_status(qs, total)
    resolved_at = Case(
        When(status__isnull=False, then=Coalesce("followup_completed_at", "closed_at")),
    )
    first_response = _durations(qs.filter(first_response_at__isnull=False), "first_response_at", 3600)
    resolution = _durations(
        qs.annotate(resolved_at=resolved_at).filter(resolved_at__isnull=False), "resolved_at", 86400
    )
    first_year = Complaint.objects.aggregate(first=Min("submitted_at"))["first"]
    return {
        "generated_at": now,
        "period": period or Period(),
        "total": total,
        "open": by_status[0]["n"],
        "closed": by_status[1]["n"],
        "secret": qs.filter(is_secret=True).count(),
        "by_status": by_status,
        "by_opd": _grouped(qs, "institution__short_name", "institution__short_name", total, gettext("Not with an OPD")),
        "by_service": _grouped(qs, "service__code", "service__name", total, gettext("No service chosen")),
        "by_kecamatan": _by_kecamatan(qs, total),
        "by_month": _by_month(qs, total),
        "first_response_hours": first_response,
        "resolution_days": resolution,
        "deadlines": _deadlines(qs, now),
        "satisfaction": _satisfaction(qs),
        "years": list(range(calendar.wib_date(first_year or now).year, calendar.wib_date(now).year + 1)),
    }


# --- CSV --------------------------------------------------------------------------------------------


def _cell(value):
    """CSV cells that a spreadsheet would run as a formula are quoted with a leading apostrophe."""
    if value is None:
        return ""
    value = str(value)
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_rows(data):
    """(section, key, label, value) rows of every aggregate, in page order; no header."""
    period = data["period"]
    rows = [
        ("period", "from", gettext("From"), period.start.date().isoformat() if period.start else ""),
        (
            "period",
            "to",
            gettext("Up to (exclusive)"),
            period.end.date().isoformat() if period.end else "",
        ),
        ("summary", "total", gettext("Reports"), data["total"]),
        ("summary", "open", gettext("Still being handled"), data["open"]),
        ("summary", "closed", gettext("Closed, archived or forwarded"), data["closed"]),
        ("summary", "confidential", gettext("Confidential (rahasia) reports counted"), data["secret"]),
        (
            "summary",
            "median_first_response_hours",
            gettext("Median time to the first follow-up (hours)"),
            data["first_response_hours"]["median"],
        ),
        (
            "summary",
            "first_response_reports",
            gettext("Reports with a first follow-up"),
            data["first_response_hours"]["n"],
        ),
        (
            "summary",
            "median_resolution_days",
            gettext("Median time to resolution (days)"),
            data["resolution_days"]["median"],
        ),
        ("summary", "resolved_reports", gettext("Resolved reports"), data["resolution_days"]["n"]),
        ("summary", "ratings", gettext("Ratings"), data["satisfaction"]["n"]),
        ("summary", "rating_average", gettext("Average rating (1 to 5)"), data["satisfaction"]["average"]),
    ]
    for group in data["by_status"]:
        rows += [("status", r["key"], r["label"], r["n"]) for r in group["rows"]]
    for section, key in (("opd", "by_opd"), ("service", "by_service"), ("kecamatan", "by_kecamatan")):
        rows += [(section, r["key"], r["label"], r["n"]) for r in data[key]]
    rows += [("month", r["key"], r["label"], r["n"]) for r in data["by_month"]]
    for o in data["deadlines"]["rows"]:
        label = o["name"] or o["label"]
        rows += [
            ("verified", o["key"], label, o["verified"]),
            ("verified_in_time", o["key"], label, o["verified_in_time"]),
            ("verified_in_time_pct", o["key"], label, o["verified_pct"]),
            ("first_followup_due", o["key"], label, o["followup_due"]),
            ("first_followup_in_time", o["key"], label, o["followup_in_time"]),
            ("first_followup_in_time_pct", o["key"], label, o["followup_pct"]),
        ]
    rows += [("rating", r["key"], r["key"], r["n"]) for r in data["satisfaction"]["distribution"]]
    return [tuple(_cell(v) for v in row) for row in rows]
