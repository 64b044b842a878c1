"""The backfill's path: a page of reports SIKESAL does not know yet, filed together (the first pull after
the integration is switched on reads thousands). The per-report path (twins.apply_remote) is the reference:
the same reports come out either way (tests/lapor/test_backfill.py)."""

import logging

from django.db import IntegrityError, transaction

from sikesal.complaints import submission
from sikesal.complaints.errors import LifecycleError
from sikesal.complaints.events import Result
from sikesal.complaints.models import Complaint
from sikesal.complaints.policy import Actor
from sikesal.complaints.states import Status
from sikesal.integrations.lapor import filing, mapping
from sikesal.integrations.lapor.mapping import BadPayload
from sikesal.integrations.lapor.models import Link
from sikesal.integrations.lapor.parking import park
from sikesal.integrations.lapor.twins import apply_to_link

log = logging.getLogger("sikesal.lapor")

BULK_MIN = 2  # a page with a single new report goes the per-report way: nothing to gain


def import_new(read, client, city_ids, counts):
    """Create the page's reports that SIKESAL does not know yet, together: their complaints (the same
    rules as `submit`, through `submission.submit_many`), reporters, first events, side-effect tasks and
    links in ONE transaction. The same mapping and dedup rules as `apply_remote`: a report already linked,
    one carrying our ticket line or tag (ours, to be linked) and the repeats of an id in the page are
    left to the per-report path, which follows; a report refused by the validation is parked as there.

    A report that needs more than its creation (follow-ups to read, a status to mirror, a conflict)
    gets the rest of `apply_remote` right after, on its own: its link is written first with nothing seen,
    exactly as `twins.apply_remote` leaves it, so a run stopped in between finishes it next time.
    Returns {index in `read`: the report, or None when parked} for the items it handled."""
    first = {}  # remote id -> index of its first copy in the page
    for index, (_item, d) in enumerate(read):
        if isinstance(d, dict) and not d["tracking"] and d["id"] not in first:
            first[d["id"]] = index
    if len(first) < BULK_MIN:
        return {}
    linked = set(Link.objects.filter(remote_id__in=list(first)).values_list("remote_id", flat=True))
    keys = {filing.idempotency_key({"id": rid}): rid for rid in first if rid not in linked}
    filed = set(Complaint.objects.filter(idempotency_key__in=list(keys)).values_list("idempotency_key", flat=True))
    new = [first[rid] for key, rid in keys.items() if key not in filed]  # in page order
    if len(new) < BULK_MIN:
        return {}
    areas, kelurahan = filing.areas_of([read[index][1]["location_id"] for index in new])
    datas, twins = [], []
    for index in new:
        d = read[index][1]
        data = filing.report_data(d, area_for=areas.get)
        # the Area row itself where it is a kelurahan: clean_report then skips its own query; any other
        # code goes as a code and is refused by clean_report as it is in `submit`
        data["area"] = kelurahan.get(data["area"]) or data["area"]
        datas.append(data)
        twins.append({"lapor_complaint_id": d["id"], "lapor_tracking_id": d["tracking_id"]})  # as twins.link sets
    handled = {}
    try:
        with transaction.atomic():
            results = submission.submit_many(Actor.system(filing.LAPOR_ACTOR_LABEL), datas, extra=twins)
            links = []
            for index, result in zip(new, results, strict=True):
                if not isinstance(result, Result) or result.replayed:
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
            outcome = apply_to_link(link, d, client, city_ids, "created")
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
        made = isinstance(result, Result) and not result.replayed
        yield index, result, next(links) if made else None
