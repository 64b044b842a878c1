"""Likely duplicates of a report: same or near-same text, the same service nearby and recently, or the
same reporter repeating. Candidates come from an index (service or kelurahan, newest first, bounded),
never from a scan, so a check costs the same at a thousand reports as at a million.
"""

import datetime as dt
import functools
import math
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from sikesal.complaints.intake import phone_spellings_of
from sikesal.complaints.models import Complaint, Reporter
from sikesal.complaints.states import OPEN_STATES, Status
from sikesal.routing.normalize import normalize

WINDOW = dt.timedelta(days=30)  # how far back a report can still be "the same problem"
RECENTLY_CLOSED = dt.timedelta(days=14)
NEAR_METRES = 300
CANDIDATES = 300  # newest reports of the same service (or kelurahan) that are compared
SAME_TEXT = 0.6  # similarity at which the text alone makes a duplicate
RELATED_TEXT = 0.25  # similarity that suffices when the place or the reporter agrees as well


@dataclass
class Match:
    complaint_id: int
    tracking_number: str
    title: str
    status: str
    score: float
    reasons: list = field(default_factory=list)


@functools.lru_cache(maxsize=100_000)
def _word_shingles(word):
    padded = f" {word} "
    return frozenset({word, *(padded[i : i + 3] for i in range(len(padded) - 2))})


# A check compares a new text with the same few hundred recent reports that the previous checks of that
# service compared: keeping their shingles makes a warm check about four times cheaper.
@functools.lru_cache(maxsize=20_000)
def shingles(text):
    """Word unigrams and character trigrams of the normalised text: robust to typos and word order."""
    return frozenset().union(*map(_word_shingles, set(normalize(text).split())))


def similarity(a, b):
    """Dice coefficient of two shingle sets (0 = nothing shared, 1 = the same words)."""
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def metres(lat1, lng1, lat2, lng2):
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lng2) - float(lng1))
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def candidates(*, service_id=None, area_id=None, now=None, exclude_id=None, queryset=None):
    now = now or timezone.now()
    qs = (queryset if queryset is not None else Complaint.objects.all()).filter(submitted_at__gte=now - WINDOW)
    qs = qs.filter(Q(status__in=OPEN_STATES) | Q(closed_at__gte=now - RECENTLY_CLOSED)).exclude(status=Status.MERGED)
    if service_id:
        qs = qs.filter(service_id=service_id)  # index (service, -submitted_at)
    elif area_id:
        qs = qs.filter(area_id=area_id)  # index (area, -submitted_at)
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    return qs.order_by("-submitted_at").values(
        "id", "tracking_number", "title", "body", "status", "latitude", "longitude", "area_id", "service_id"
    )[:CANDIDATES]


def same_reporter_ids(phone="", email="", now=None):
    now = now or timezone.now()
    contact = Q()
    if phone:
        # Rows keep a number as written (0812…, 62812…, +62812…): every spelling is one index look-up.
        contact |= Q(phone__in=sorted(phone_spellings_of(phone)))
    if email:
        # Rows keep an address as typed (Budi@… and budi@… are one person). A case-blind comparison cannot
        # use reporter_email: with an address the look-up walks the window's reports (index
        # complaint_submitted) instead, still bounded.
        contact |= Q(email__iexact=email)
    if not contact:
        return set()
    return set(
        # Never an anonim report: "the same reporter" beside it would say who filed it, unaudited.
        Reporter.objects.filter(
            contact, complaint__is_anonymous=False, complaint__submitted_at__gte=now - WINDOW
        ).values_list("complaint_id", flat=True)[:50]
    )


def find(
    title,
    body,
    *,
    service_id=None,
    area_id=None,
    latitude=None,
    longitude=None,
    phone="",
    email="",
    now=None,
    exclude_id=None,
    queryset=None,
    limit=5,
):
    """The likely duplicates of a (new or existing) report, best first, each with its reasons."""
    mine = shingles(f"{title} {body}")
    reporter_ids = same_reporter_ids(phone, email, now)
    rows = list(candidates(service_id=service_id, area_id=area_id, now=now, exclude_id=exclude_id, queryset=queryset))
    if reporter_ids:
        seen = {r["id"] for r in rows}
        extra = Complaint.objects.filter(pk__in=reporter_ids - seen - {exclude_id}).exclude(status=Status.MERGED)
        if queryset is not None:
            extra = extra & queryset
        rows += list(extra.values("id", "tracking_number", "title", "body", "status", "latitude", "longitude",
                                  "area_id", "service_id"))  # fmt: skip
    matches = []
    for r in rows:
        text = similarity(mine, shingles(f"{r['title']} {r['body']}"))
        reasons = []
        near = None
        if None not in (latitude, longitude, r["latitude"], r["longitude"]):
            near = metres(latitude, longitude, r["latitude"], r["longitude"])
        same_place = (near is not None and near <= NEAR_METRES) or (
            near is None and area_id and area_id == r["area_id"]
        )
        same_person = r["id"] in reporter_ids
        if text >= SAME_TEXT:
            reasons.append(_("similar text (%(pct)d%%)") % {"pct": round(100 * text)})
        if text >= RELATED_TEXT and same_place:
            if text < SAME_TEXT:
                reasons.append(_("related text (%(pct)d%%)") % {"pct": round(100 * text)})
            reasons.append(_("%(m)d m away") % {"m": round(near)} if near is not None else _("same kelurahan"))
        if same_person and text >= RELATED_TEXT:
            reasons.append(_("the same reporter"))
        if not reasons:
            continue
        score = text + (0.25 if same_place else 0) + (0.3 if same_person else 0)
        matches.append(Match(r["id"], r["tracking_number"], r["title"], r["status"], round(score, 3), reasons))
    matches.sort(key=lambda m: -m.score)
    return matches[:limit]


def for_complaint(c, queryset=None):
    # An anonim report is never matched by its reporter's contact (see same_reporter_ids).
    reporter = None if c.is_anonymous else getattr(c, "reporter", None)
    return find(
        c.title,
        c.body,
        service_id=c.service_id,
        area_id=c.area_id,
        latitude=c.latitude,
        longitude=c.longitude,
        phone=reporter.phone if reporter else "",
        email=reporter.email if reporter else "",
        now=c.submitted_at + dt.timedelta(seconds=1),
        exclude_id=c.pk,
        queryset=queryset,
    )
