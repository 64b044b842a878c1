"""Inbound: poll SP4N-LAPOR! for reports that involve the city and bring changes in through the
lifecycle's one door (`submit` for a new report, `lapor_mirror` for follow-ups and status changes).

Every step is idempotent: a page delivered twice, a run killed half-way, or two workers polling
at once (a lease keeps them apart; the database keys would stop them anyway) cannot create a report
or a follow-up twice. A payload that cannot be used is parked whole with a readable reason, the
rest of the page goes on, and the report is read again on its own (`GET /complaints/{id}/complaint`).
"""

import datetime as dt
import logging
import re
import time

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import strip_tags

from sikesal.catalogue.models import Area, Institution, InstitutionKind
from sikesal.complaints import lifecycle
from sikesal.complaints.errors import LifecycleError
from sikesal.complaints.intake import PHONE_RE
from sikesal.complaints.models import Complaint
from sikesal.complaints.policy import Actor
from sikesal.complaints.states import CLOSED_STATES, Channel, Status
from sikesal.integrations.lapor import mapping
from sikesal.integrations.lapor.client import LaporClient, Unavailable, is_enabled
from sikesal.integrations.lapor.models import Link, Master, Parked, RemoteFollowup, SyncState
from sikesal.integrations.lapor.outbound import link as link_twin

log = logging.getLogger("sikesal.lapor")
LAPOR_ACTOR_LABEL = "SP4N-LAPOR!"


class BadPayload(ValueError):
    pass


# --- Validation -----------------------------------------------------------------------------------------


def _int(d, name, required=True):
    value = d.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or value is None:
        raise BadPayload(f"`{name}` hilang atau bukan angka")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise BadPayload(f"`{name}` bukan angka: {value!r}"[:200])


def _bool(d, name):
    value = d.get(name, False)
    if value in (True, False, 0, 1, "0", "1"):
        return value in (True, 1, "1")
    raise BadPayload(f"`{name}` bukan nilai ya/tidak: {value!r}"[:200])


def _text(d, name):
    value = d.get(name)
    if not isinstance(value, str):
        raise BadPayload(f"`{name}` hilang atau bukan teks")
    return value


def _when(d, name):
    value = d.get(name)
    if not isinstance(value, str):
        raise BadPayload(f"`{name}` hilang atau bukan waktu")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise BadPayload(f"`{name}` bukan waktu ISO 8601: {value!r}"[:200]) from None
    if parsed.tzinfo is None:
        raise BadPayload(f"`{name}` tanpa zona waktu")
    return parsed


HTML_RE = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")


def validate(item):
    """A cleaned dict of the fields the sync uses; BadPayload with a readable reason otherwise."""
    if not isinstance(item, dict):
        raise BadPayload("item bukan objek JSON")
    out = {
        "id": str(_int(item, "id")),
        "tracking_id": str(_int(item, "tracking_id")),
        "status_code": _int(item, "status_code"),
        "updated_at": _when(item, "updated_at"),
        "title": _text(item, "title"),
        "content": _text(item, "content"),
        "is_anonymous": _bool(item, "is_anonymous"),
        "is_secret": _bool(item, "is_secret"),
        "followup_count": _int(item, "followup_count", required=False) or 0,
        "disposition_id": _int(item, "disposition_id", required=False),
        "classification_id": _int(item, "classification_id", required=False),
        "location_id": _int(item, "location_id", required=False),
        "date_of_incident": item.get("date_of_incident") if isinstance(item.get("date_of_incident"), str) else None,
        "tags_raw": item.get("tags_raw") if isinstance(item.get("tags_raw"), str) else "",
        "status_name": str(item.get("status_name") or ""),
    }
    if out["status_code"] not in mapping.KNOWN_STATUSES:
        raise BadPayload(f"kode status tidak dikenal: {out['status_code']} ({out['status_name'] or '-'})")
    reporter = item.get("reporter")
    if not isinstance(reporter, dict):
        raise BadPayload("`reporter` hilang atau bukan objek")
    out["reporter"] = {k: v for k, v in reporter.items() if isinstance(v, str)}
    for name in ("title", "content"):
        if HTML_RE.search(out[name]):
            raise BadPayload(f"`{name}` berisi HTML")
    return out


def _reason(exc):
    if isinstance(exc, LifecycleError) and exc.fields:
        details = "; ".join(f"{name}: {', '.join(str(m) for m in msgs)}" for name, msgs in exc.fields.items())
        return f"{exc.message} ({details})"
    return str(exc)


def park(item, reason):
    reason = _reason(reason) if isinstance(reason, Exception) else reason
    remote_id = str(item.get("id") or "")[:32] if isinstance(item, dict) else ""
    log.warning("lapor item %s parked: %s", remote_id or "?", reason)
    return Parked.objects.create(remote_id=remote_id, reason=str(reason)[:2000], payload=_jsonable(item))


def _jsonable(item):
    return item if isinstance(item, (dict, list, str, int, float, bool)) or item is None else repr(item)


# --- Applying one remote report ---------------------------------------------------------------------


def city_remote_ids():
    """SP4N-LAPOR! ids that belong to the city (its own and its units'): their follow-ups are ours."""
    ids = {str(mapping.city_institution_id())}
    ids.update(
        Institution.objects.exclude(lapor_institution_id="")
        .exclude(kind=InstitutionKind.EXTERNAL)
        .values_list("lapor_institution_id", flat=True)
    )
    parents = {
        m.remote_id: str((m.data or {}).get("parent_id") or "") for m in Master.objects.filter(kind="institutions")
    }
    for rid in parents:
        seen, current = set(), rid
        while current and current not in seen:
            if current == str(mapping.city_institution_id()):
                ids.add(rid)
                break
            seen.add(current)
            current = parents.get(current)
    return ids


def apply_remote(d, client, *, city_ids=None):
    """Create or update the local twin of a validated remote report. Returns what happened."""
    link = Link.objects.select_related("complaint").filter(remote_id=d["id"]).first()
    outcome = "updated"
    if link is None:
        link, outcome = _adopt_or_create(d)
        if link is None:
            return outcome
    if (
        link.remote_status == d["status_code"]
        and link.followups_seen == d["followup_count"]
        and link.remote_updated_at is not None
        and d["updated_at"] <= link.remote_updated_at
    ):
        return "unchanged"
    reporter_spoke = False
    if d["followup_count"] != link.followups_seen:
        reporter_spoke = import_followups(link, client, city_ids or city_remote_ids())
    _mirror_status(link, d, reporter_spoke)
    Link.objects.filter(pk=link.pk).update(
        remote_status=d["status_code"],
        remote_updated_at=d["updated_at"],
        followups_seen=d["followup_count"],
        tracking_id=d["tracking_id"],
    )
    return outcome


def _adopt_or_create(d):
    tracking = mapping.tracking_from_tags(d["tags_raw"])
    if tracking:
        own = Complaint.objects.filter(tracking_number=tracking).first()
        if own is not None:  # ours: its create answer never reached us
            return link_twin(own, d["id"], d["tracking_id"], Link.Origin.LOCAL), "linked"
        raise BadPayload(f"laporan bertanda {tracking} tidak ada di SIKESAL")
    key = f"lapor-{d['id']}"
    with transaction.atomic():
        result = lifecycle.submit(Actor.system(LAPOR_ACTOR_LABEL), _report_data(d, key))
        complaint = result.complaint
        link = link_twin(complaint, d["id"], d["tracking_id"], Link.Origin.LAPOR)
    return Link.objects.select_related("complaint").get(pk=link.pk), "created"


def _report_data(d, key):
    title = " ".join(d["title"].split())[: settings.SIKESAL_TITLE_MAX] or "Laporan SP4N-LAPOR!"
    body = d["content"].strip()
    if len(body) < settings.SIKESAL_BODY_MIN:  # LAPOR! allows shorter texts than our form does
        body = f"{title}. {body}".strip()
    body = body[: settings.SIKESAL_BODY_MAX]
    area = mapping.area_code(d["location_id"])
    if area and not Area.objects.filter(code=area).exists():
        area = None
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
        "idempotency_key": key,
    }


def import_followups(link, client, city_ids):
    """Bring the remote follow-ups we do not know yet into the timeline. True if the reporter wrote."""
    c = link.complaint
    known = set(RemoteFollowup.objects.filter(complaint=c).values_list("remote_id", flat=True))
    reporter_spoke = False
    for f in client.followups(link.remote_id):
        rid = str(f.get("id") or "") if isinstance(f, dict) else ""
        if not rid:
            park(f, "tindak lanjut tanpa id")
            continue
        if rid in known:
            continue
        known.add(rid)
        from_id = f.get("institution_from_id")
        if from_id is not None and str(from_id) in city_ids:
            # Posted by SIKESAL itself, whose answer was lost: remember it, do not echo it.
            RemoteFollowup.objects.get_or_create(remote_id=rid, defaults={"complaint": c, "direction": "out"})
            continue
        is_reporter = f.get("user_type") == "pelapor" or from_id is None
        author = "Pelapor (SP4N-LAPOR!)" if is_reporter else str(f.get("institution_from_name") or LAPOR_ACTOR_LABEL)
        content = strip_tags(str(f.get("content") or "")).strip() or "-"
        try:
            with transaction.atomic():
                result = lifecycle.transition(
                    c,
                    "lapor_mirror",
                    Actor.system(LAPOR_ACTOR_LABEL),
                    kind="followup",
                    message=content,
                    source=author,
                    lapor_id=rid,
                )
                RemoteFollowup.objects.create(remote_id=rid, complaint=c, direction="in", event=result.event)
        except LifecycleError as exc:  # e.g. merged into another report meanwhile
            park(f, f"tindak lanjut tidak dapat dicatat pada {c.tracking_number}: {exc}")
            RemoteFollowup.objects.get_or_create(remote_id=rid, defaults={"complaint": c, "direction": "in"})
            continue
        reporter_spoke = reporter_spoke or is_reporter
    return reporter_spoke


def _mirror_status(link, d, reporter_spoke):
    c = Complaint.objects.get(pk=link.complaint_id)
    if d["disposition_id"] in mapping.OMBUDSMAN_INSTITUTION_IDS and not c.ombudsman_taken_over:
        lifecycle.transition(
            c,
            "lapor_mirror",
            Actor.system(LAPOR_ACTOR_LABEL),
            kind="status",
            message="Laporan ditangani Ombudsman RI melalui SP4N-LAPOR!",
            ombudsman_taken_over=True,
            lapor_status=d["status_name"],
            lapor_id=d["id"],
        )
        c.refresh_from_db()
    if d["status_code"] == link.remote_status:
        return
    wanted = mapping.INBOUND_STATUS.get(d["status_code"])
    if (
        wanted is None
        and d["status_code"] == mapping.IN_PROCESS
        and reporter_spoke
        and c.status in (Status.FOLLOWED_UP, Status.CLOSED_SYSTEM)
    ):
        wanted = Status.IN_PROGRESS  # the reporter said on LAPOR! that it is not solved
    if wanted is None or wanted == c.status or c.status not in lifecycle.MIRROR_TARGETS.get(wanted, ()):
        return
    if c.status in CLOSED_STATES and wanted != Status.IN_PROGRESS:
        return
    lifecycle.transition(
        c,
        "lapor_mirror",
        Actor.system(LAPOR_ACTOR_LABEL),
        kind="status",
        status=wanted,
        message=f"Status di SP4N-LAPOR!: {d['status_name'] or d['status_code']}",
        lapor_status=d["status_name"],
        lapor_id=d["id"],
    )


# --- The pull ---------------------------------------------------------------------------------------------


def _lease(key, seconds):
    """Take a named lease (one puller at a time across workers); False when another holds it."""
    SyncState.objects.get_or_create(key=key)
    now = timezone.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    return bool(SyncState.objects.filter(free, key=key).update(lease_until=now + dt.timedelta(seconds=seconds)))


def _release(key, **value):
    row = SyncState.objects.get(key=key)
    row.value = {**row.value, **value}
    row.lease_until = None
    row.save(update_fields=["value", "lease_until", "updated_at"])


def process_page(items, client, city_ids, counts):
    """Apply each item; a bad one is parked and read again on its own. Returns the newest updated_at."""
    newest = None
    for item in items:
        try:
            d = validate(item)
        except BadPayload as exc:
            parked = park(item, exc)
            counts["parked"] += 1
            if recover(parked, client, city_ids):
                counts["recovered"] += 1
            continue
        try:
            outcome = apply_remote(d, client, city_ids=city_ids)
        except (BadPayload, LifecycleError) as exc:
            park(item, exc)
            counts["parked"] += 1
            continue
        counts[outcome] = counts.get(outcome, 0) + 1
        newest = d["updated_at"] if newest is None or d["updated_at"] > newest else newest
    return newest


def recover(parked, client, city_ids):
    """Read a parked report again on its own; resolve the parking when that copy is sound."""
    if not parked.remote_id.isdigit():
        return False
    try:
        detail = client.detail(parked.remote_id)
        data = detail.get("data")
        if isinstance(data, dict) and isinstance(data.get("content"), str):
            # An old copy could hold HTML; LAPOR!'s own record is text, so tags are dropped, not run.
            data = {**data, "content": strip_tags(data["content"]), "title": strip_tags(str(data.get("title") or ""))}
        d = validate(data)
        apply_remote(d, client, city_ids=city_ids)
    except (Unavailable, BadPayload, LifecycleError) as exc:
        log.info("lapor item %s still parked: %s", parked.remote_id, exc)
        return False
    Parked.objects.filter(remote_id=parked.remote_id, resolved_at__isnull=True).update(resolved_at=timezone.now())
    return True


def pull(client=None, *, max_seconds=None, progress=None, full=False):
    """Read every report changed since the last pull. Returns counts by outcome."""
    counts = {"created": 0, "linked": 0, "updated": 0, "unchanged": 0, "parked": 0, "recovered": 0, "pages": 0}
    if not is_enabled():
        return counts
    budget = max_seconds or settings.LAPOR_SYNC_MAX_SECONDS
    if not _lease("pull", budget + 10):
        counts["busy"] = 1
        return counts
    own = client is None
    client = client or LaporClient()
    state = SyncState.objects.get(key="pull").value
    cursor = None if full else state.get("cursor")
    deadline = time.monotonic() + budget
    city_ids = city_remote_ids()
    error = ""
    try:
        for parked in Parked.objects.filter(resolved_at__isnull=True).exclude(remote_id="")[:50]:
            if recover(parked, client, city_ids):
                counts["recovered"] += 1
        page = 1
        while time.monotonic() < deadline:
            results = client.list_page(cursor, page)
            items = results.get("data") or []
            counts["pages"] += 1
            newest = process_page(items, client, city_ids, counts)
            if progress:
                progress(counts, results.get("total"))
            if newest is not None and (cursor is None or newest > dt.datetime.fromisoformat(cursor)):
                cursor, page = newest.isoformat(), 1  # the list is oldest change first: move the window
                _release_cursor(cursor)
            else:
                page += 1  # a page with nothing newer (duplicates, a burst of equal times): read on
            if len(items) < mapping.page_size():
                break
    except Unavailable as exc:
        error = str(exc)
        counts["error"] = error
    finally:
        _release(
            "pull", cursor=cursor, last_run=timezone.now().isoformat(), last_error=error, last_counts=_plain(counts)
        )
        if own:
            client.close()
    return counts


def _release_cursor(cursor):
    row = SyncState.objects.get(key="pull")
    row.value = {**row.value, "cursor": cursor}
    row.save(update_fields=["value", "updated_at"])


def _plain(counts):
    return {k: v for k, v in counts.items() if isinstance(v, (int, str))}
