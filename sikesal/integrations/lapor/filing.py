"""Filing: what a report made on SP4N-LAPOR! becomes when SIKESAL files it as a local report (the data
handed to submission.submit / submit_many), and the actor that files it."""

import datetime as dt
import re

from django.conf import settings
from django.utils import timezone

from sikesal.catalogue.models import Area, AreaLevel
from sikesal.complaints.intake import PHONE_RE
from sikesal.complaints.states import Channel
from sikesal.integrations.lapor import mapping, masters
from sikesal.integrations.lapor.models import Master

LAPOR_ACTOR_LABEL = "SP4N-LAPOR!"


def idempotency_key(d):
    """The key a LAPOR! report is filed under: filing it twice files it once."""
    return f"lapor-{d['id']}"


def area_for(location_id):
    """The local kelurahan code of a LAPOR! location id, or None when unknown here."""
    area = masters.area_code(location_id)
    if area and not Area.objects.filter(code=area).exists():
        area = None
    return area


def areas_of(location_ids):
    """`area_for` of many location ids in three queries: ({location id: area code or None},
    {area code: its Area row, for kelurahan codes only})."""
    wanted = {str(rid) for rid in location_ids if rid}
    codes = {}
    for row in Master.objects.filter(kind="locations", remote_id__in=wanted):
        codes[row.remote_id] = str((row.data or {}).get("code") or "") or None
    known = {a.code: a for a in Area.objects.filter(code__in={c for c in codes.values() if c})}
    areas = {rid: (codes.get(str(rid)) if codes.get(str(rid)) in known else None) for rid in location_ids}
    kelurahan = {code: a for code, a in known.items() if a.level == AreaLevel.KELURAHAN}
    return areas, kelurahan


def report_data(d, area_for=area_for):
    """The submission data of the validated remote report `d` (mapping.from_remote_report)."""
    title = " ".join(d["title"].split())[: settings.SIKESAL_TITLE_MAX] or "Laporan SP4N-LAPOR!"
    body = d["content"].strip()
    if len(body) < settings.SIKESAL_BODY_MIN:  # LAPOR! allows shorter texts than our form does
        body = f"{title}. {body}".strip()
    body = body[: settings.SIKESAL_BODY_MAX]
    area = area_for(d["location_id"])
    incident = d["date_of_incident"]
    try:
        if incident and dt.date.fromisoformat(incident) > timezone.localdate():
            incident = None
    except ValueError:
        incident = None
    reporter = {}
    if not d["is_anonymous"]:
        phone = re.sub(r"[\s\-().]", "", d["reporter"].get("phone") or "")
        reporter = {"name": d["reporter"].get("name") or "", "phone": phone if PHONE_RE.match(phone) else ""}
    return {
        "type": mapping.CLASSIFICATION_TYPES.get(d["classification_id"], "pengaduan"),
        "channel": Channel.LAPOR,
        "title": title,
        "body": body,
        "incident_date": incident,
        "area": area,
        "is_anonymous": d["is_anonymous"],
        "is_secret": d["is_secret"],
        "reporter": reporter,
        "idempotency_key": idempotency_key(d),
    }
