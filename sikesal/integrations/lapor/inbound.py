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
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import strip_tags

from sikesal.catalogue.models import Area, AreaLevel, Institution, InstitutionKind
from sikesal.complaints import lifecycle, submission
from sikesal.complaints.errors import LifecycleError
from sikesal.complaints.intake import PHONE_RE
from sikesal.complaints.models import Complaint
from sikesal.complaints.policy import Actor
from sikesal.complaints.states import CLOSED_STATES, Channel, Status
from sikesal.integrations.lapor import mapping, masters
from sikesal.integrations.lapor.client import LaporClient, Missing, Rejected, Unavailable, is_enabled
from sikesal.integrations.lapor.mapping import BadPayload
from sikesal.integrations.lapor.models import Conflict, Link, Master, Parked, RemoteFollowup, SyncState
from sikesal.integrations.lapor.outbound import link as link_twin

log = logging.getLogger("sikesal.lapor")
LAPOR_ACTOR_LABEL = "SP4N-LAPOR!"


validate = mapping.from_remote_report  # what reconcile and the recovery read a remote report with


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
    return _apply_to_link(link, d, client, city_ids, outcome)


def _apply_to_link(link, d, client, city_ids, outcome):
    """The rest of `apply_remote` once the report has its twin: follow-ups, status, the link's record."""
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
    )
    if d["tracking_id"] and d["tracking_id"] != link.tracking_id:  # a create answer carries only the id
        link_twin(link.complaint, link.remote_id, d["tracking_id"], link.origin)
    return outcome


def _adopt_or_create(d):
    tracking = d["tracking"]
    if tracking:
        own = Complaint.objects.filter(tracking_number=tracking).first()
        if own is not None:  # ours: its create answer never reached us
            link = link_twin(own, d["id"], d["tracking_id"], Link.Origin.LOCAL)
            return Link.objects.select_related("complaint").get(pk=link.pk), "linked"
        raise BadPayload(f"laporan bertanda {tracking} tidak ada di SIKESAL")
    key = f"lapor-{d['id']}"
    with transaction.atomic():
        result = lifecycle.submit(Actor.system(LAPOR_ACTOR_LABEL), _report_data(d, key))
        complaint = result.complaint
        link = link_twin(complaint, d["id"], d["tracking_id"], Link.Origin.LAPOR)
    return Link.objects.select_related("complaint").get(pk=link.pk), "created"


def _area_for(location_id):
    """The local kelurahan code of a LAPOR! location id, or None when unknown here."""
    area = masters.area_code(location_id)
    if area and not Area.objects.filter(code=area).exists():
        area = None
    return area


def _report_data(d, key, area_for=_area_for):
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
        "idempotency_key": key,
    }


def import_followups(link, client, city_ids):
    """Bring the remote follow-ups we do not know yet into the timeline. True if the reporter wrote."""
    c = link.complaint
    known = set(RemoteFollowup.objects.filter(complaint=c).values_list("remote_id", flat=True))
    reporter_spoke = False
    read = []
    for raw in client.followups(link.remote_id):
        try:
            read.append(mapping.from_remote_followup(raw, link.remote_id))
        except BadPayload as exc:
            park(raw, f"tindak lanjut pada {c.tracking_number} tidak terbaca: {exc}")
    for rid, f in mapping.followup_keys(read):
        if rid in known:
            continue
        known.add(rid)
        if f["from_id"] is not None and f["from_id"] in city_ids:
            continue  # posted by SIKESAL itself: its outbox row counts it (outbound.py)
        is_reporter = f["is_reporter"]
        author = "Pelapor (SP4N-LAPOR!)" if is_reporter else (f["from_name"] or LAPOR_ACTOR_LABEL)
        content = strip_tags(f["content"]).strip() or "-"
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
    system = Actor.system(LAPOR_ACTOR_LABEL)
    if d["disposition_id"] in mapping.OMBUDSMAN_INSTITUTION_IDS and not c.ombudsman_taken_over:
        lifecycle.transition(
            c,
            "lapor_mirror",
            system,
            kind="status",
            message="Laporan ditangani Ombudsman RI melalui SP4N-LAPOR!",
            ombudsman_taken_over=True,
            lapor_status=d["status_name"],
            lapor_id=d["id"],
        )
        c.refresh_from_db()
    if d["status_code"] == link.remote_status:
        return
    label = f"{d['status_name'] or '-'} ({d['status_code']})"

    def mirror(message, **extra):
        lifecycle.transition(
            c, "lapor_mirror", system, kind="status", message=message, lapor_status=d["status_name"],
            lapor_id=d["id"], **extra,
        )  # fmt: skip

    if not d["known_status"]:
        # Recorded for staff and counted on the health page; the report stays as it is.
        mirror(f"Status SP4N-LAPOR! yang tidak dikenal SIKESAL: {label}", internal=True)
        return
    wanted = mapping.mirror_target(c.status, link.remote_status, d["status_code"], reporter_spoke)
    if wanted is not None and wanted != c.status:
        mirror(f"Status di SP4N-LAPOR!: {d['status_name'] or d['status_code']}", status=wanted)
        return
    # Handed to another institution on SP4N-LAPOR! while the city still holds it: no rule can decide
    # who is right, so the admin does (the health page lists it, with one click to settle).
    if (
        d["status_code"] == mapping.NOT_AUTHORITY
        and c.status not in CLOSED_STATES
        and not Conflict.objects.filter(complaint=c, resolved_at__isnull=True).exists()
    ):
        Conflict.objects.create(
            complaint=c,
            local_status=c.status,
            remote_status=d["status_code"],
            detail=f"Di SP4N-LAPOR! laporan dinyatakan bukan wewenang kota: {d['status_name']}",
            rule=Conflict.Rule.NEEDS_PERSON,
        )


# --- The pull ---------------------------------------------------------------------------------------------


def _lease(key, seconds):
    """Take a named lease (one puller at a time across workers); False when another holds it."""
    SyncState.objects.get_or_create(key=key)
    now = timezone.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    return bool(SyncState.objects.filter(free, key=key).update(lease_until=now + dt.timedelta(seconds=seconds)))


def _renew(key, seconds):
    SyncState.objects.filter(key=key).update(lease_until=timezone.now() + dt.timedelta(seconds=seconds))


def _release(key, **value):
    row = SyncState.objects.get(key=key)
    row.value = {**row.value, **value}
    row.lease_until = None
    row.save(update_fields=["value", "lease_until", "updated_at"])


def process_page(items, client, city_ids, counts, *, bulk=True):
    """Apply each item; a bad one is parked and read again on its own. Returns the newest updated_at.

    With `bulk`, the reports of the page that SIKESAL does not know yet are created together first
    (`import_new`, the backfill's path); the rest of the page then goes item by item as always."""
    newest = None
    read = []
    for item in items:
        try:
            read.append((item, validate(item)))
        except BadPayload as exc:
            read.append((item, exc))
    handled = import_new(read, client, city_ids, counts) if bulk else {}
    for d in handled.values():
        if d is not None:  # None: parked, as apply_remote's refusals are
            newest = d["updated_at"] if newest is None or d["updated_at"] > newest else newest
    for index, (item, d) in enumerate(read):
        if index in handled:
            continue
        if isinstance(d, BadPayload):
            exc = d
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


# --- The backfill: a page of new reports at once ---------------------------------------------------------

BULK_MIN = 2  # a page with a single new report goes the per-report way: nothing to gain


def import_new(read, client, city_ids, counts):
    """Create the page's reports that SIKESAL does not know yet, together: their complaints (the same
    rules as `submit`, through `submission.submit_many`), reporters, first events, side-effect tasks and
    links in ONE transaction. The same mapping and dedup rules as `apply_remote`: a report already linked,
    one carrying our ticket line or tag (ours, to be linked) and the repeats of an id in the page are
    left to the per-report path, which follows; a report refused by the validation is parked as there.

    A report that needs more than its creation (follow-ups to read, a status to mirror, a conflict)
    gets the rest of `apply_remote` right after, on its own: its link is written first with nothing seen,
    exactly as `_adopt_or_create` leaves it, so a run stopped in between finishes it next time.
    Returns {index in `read`: the report, or None when parked} for the items it handled."""
    first = {}  # remote id -> index of its first copy in the page
    for index, (_item, d) in enumerate(read):
        if isinstance(d, dict) and not d["tracking"] and d["id"] not in first:
            first[d["id"]] = index
    if len(first) < BULK_MIN:
        return {}
    linked = set(Link.objects.filter(remote_id__in=list(first)).values_list("remote_id", flat=True))
    keys = {f"lapor-{rid}": rid for rid in first if rid not in linked}
    filed = set(Complaint.objects.filter(idempotency_key__in=list(keys)).values_list("idempotency_key", flat=True))
    new = [first[rid] for key, rid in keys.items() if key not in filed]  # in page order
    if len(new) < BULK_MIN:
        return {}
    areas, kelurahan = _areas_of([read[index][1]["location_id"] for index in new])
    datas, twins = [], []
    for index in new:
        d = read[index][1]
        data = _report_data(d, f"lapor-{d['id']}", area_for=areas.get)
        # the Area row itself where it is a kelurahan: clean_report then skips its own query; any other
        # code goes as a code and is refused by clean_report as it is in `submit`
        data["area"] = kelurahan.get(data["area"]) or data["area"]
        datas.append(data)
        twins.append({"lapor_complaint_id": d["id"], "lapor_tracking_id": d["tracking_id"]})  # as link_twin sets
    handled = {}
    try:
        with transaction.atomic():
            results = submission.submit_many(Actor.system(LAPOR_ACTOR_LABEL), datas, extra=twins)
            links = []
            for index, result in zip(new, results, strict=True):
                if not isinstance(result, lifecycle.Result) or result.replayed:
                    continue
                d = read[index][1]
                c = result.complaint
                seen = (
                    {"remote_status": d["status_code"], "remote_updated_at": d["updated_at"], "followups_seen": 0}
                    if settled_on_creation(d)
                    else {}
                )
                links.append(
                    Link(complaint=c, remote_id=d["id"], tracking_id=d["tracking_id"], origin=Link.Origin.LAPOR, **seen)
                )
            Link.objects.bulk_create(links)
    except IntegrityError as exc:  # a concurrent writer took a number or a key: one by one instead
        log.info("lapor bulk import of %s reports falls back to one by one: %s", len(new), exc)
        return {}
    later = []
    for index, result, link in _pair(new, results, links):
        item, d = read[index]
        if isinstance(result, LifecycleError):
            park(item, result)
            counts["parked"] += 1
            handled[index] = None
        elif link is None:
            continue  # replayed: someone filed it meanwhile; the per-report path links it
        elif link.remote_status is None:
            later.append((index, link, d))
        else:
            counts["created"] += 1
            handled[index] = d
    for index, link, d in later:
        link.complaint = Complaint.objects.get(pk=link.complaint_id)
        try:
            outcome = _apply_to_link(link, d, client, city_ids, "created")
        except (BadPayload, LifecycleError) as exc:
            park(read[index][0], exc)
            counts["parked"] += 1
            handled[index] = None
            continue
        counts[outcome] = counts.get(outcome, 0) + 1
        handled[index] = d
    return handled


def settled_on_creation(d):
    """True when `apply_remote` would do nothing to a report just created from `d` but note what it saw:
    no follow-ups to read, no Ombudsman take-over, and a status that the new report (received) agrees
    with without a mirror event or a conflict."""
    return (
        d["followup_count"] == 0
        and d["disposition_id"] not in mapping.OMBUDSMAN_INSTITUTION_IDS
        and d["known_status"]
        and d["status_code"] != mapping.NOT_AUTHORITY
        and mapping.mirror_target(Status.RECEIVED, None, d["status_code"], False) is None
    )


def _pair(new, results, links):
    """(index, result, its link or None) for each report handed to submit_many."""
    links = iter(links)
    for index, result in zip(new, results, strict=True):
        made = isinstance(result, lifecycle.Result) and not result.replayed
        yield index, result, next(links) if made else None


def _areas_of(location_ids):
    """`_area_for` of many location ids in three queries: ({location id: area code or None},
    {area code: its Area row, for kelurahan codes only})."""
    wanted = {str(rid) for rid in location_ids if rid}
    codes = {}
    for row in Master.objects.filter(kind="locations", remote_id__in=wanted):
        codes[row.remote_id] = str((row.data or {}).get("code") or "") or None
    known = {a.code: a for a in Area.objects.filter(code__in={c for c in codes.values() if c})}
    areas = {rid: (codes.get(str(rid)) if codes.get(str(rid)) in known else None) for rid in location_ids}
    kelurahan = {code: a for code, a in known.items() if a.level == AreaLevel.KELURAHAN}
    return areas, kelurahan


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


def pull(client=None, *, max_seconds=None, progress=None, full=False, bulk=True):
    """Read every report changed since the last pull. Returns counts by outcome. `bulk=False` creates
    new reports one by one only (the per-report path the bulk one is measured and tested against)."""
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
    resweep_at = state.get("resweep_at")
    now = timezone.now()
    every = dt.timedelta(seconds=settings.LAPOR_PULL_RESWEEP_SECONDS)
    if cursor and (not resweep_at or now - dt.datetime.fromisoformat(resweep_at) > every):
        # Now and then read an hour back again: a report whose place in the list moved while a page
        # boundary passed it (others changed meanwhile) is caught here; the ones already known cost nothing.
        overlap = dt.timedelta(seconds=settings.LAPOR_PULL_OVERLAP_SECONDS)
        cursor = (dt.datetime.fromisoformat(cursor) - overlap).isoformat()
        resweep_at = now.isoformat()
    deadline = time.monotonic() + budget
    hard_stop = time.monotonic() + 10 * budget
    city_ids = city_remote_ids()
    error = ""
    try:
        for parked in Parked.objects.filter(resolved_at__isnull=True).exclude(remote_id="")[:50]:
            if recover(parked, client, city_ids):
                counts["recovered"] += 1
        if not mapping.call_enabled("list"):
            counts["polled"] = poll_known(client, city_ids, deadline)
            return counts
        page = 1
        # Past the budget only in the middle of a burst of equal times (page > 1): stopping there would
        # make the next run read the burst from its first page again, and a long burst never end.
        while time.monotonic() < deadline or (page > 1 and time.monotonic() < hard_stop):
            _renew("pull", budget + 10)
            try:
                results = client.list_page(cursor, page)
            except Missing as exc:
                # No list on this service: say so (health page) and keep the known reports in step.
                error = str(exc)
                counts["polled"] = poll_known(client, city_ids, deadline)
                break
            items = results.get("data") or []
            counts["pages"] += 1
            newest = process_page(items, client, city_ids, counts, bulk=bulk)
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
            "pull",
            cursor=cursor,
            resweep_at=resweep_at,
            last_run=timezone.now().isoformat(),
            last_error=error,
            last_counts=_plain(counts),
        )
        from sikesal.integrations.lapor.health import record_calls

        record_calls(client.calls)
        if own:
            client.close()
    return counts


def poll_known(client, city_ids, deadline, batch=200):
    """Without a list call: read the reports we know one by one (open ones first, in turns), as the public
    client does. New reports filed on SP4N-LAPOR! cannot come in this way; the health page says so."""
    state = SyncState.objects.get(key="pull")
    after = int(state.value.get("poll_after") or 0)
    links = list(
        Link.objects.exclude(complaint__status__in=CLOSED_STATES, remote_status__in=mapping.FINAL)
        .filter(pk__gt=after)
        .order_by("pk")[:batch]
    )
    done = 0
    for link in links:
        if time.monotonic() >= deadline:
            break
        try:
            d = validate(client.detail(link.remote_id).get("data"))
            apply_remote(d, client, city_ids=city_ids)
        except (BadPayload, LifecycleError, Rejected) as exc:
            log.info("lapor report %s not applied: %s", link.remote_id, exc)
        after = link.pk
        done += 1
    if len(links) < batch and done == len(links):
        after = 0  # a full turn: start again from the first
    _release_cursor_value(poll_after=after)
    return done


def _release_cursor(cursor):
    _release_cursor_value(cursor=cursor)


def _release_cursor_value(**value):
    row = SyncState.objects.get(key="pull")
    row.value = {**row.value, **value}
    row.save(update_fields=["value", "updated_at"])


def _plain(counts):
    return {k: v for k, v in counts.items() if isinstance(v, (int, str))}
