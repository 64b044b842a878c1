"""Compare both sides and, on request, repair: the proof that nothing was lost or duplicated.

Reads every report SP4N-LAPOR! lists for the city (all pages, duplicates collapsed) and every local
report that should have a twin, and counts:
- missing_remote: a local report that should be on SP4N-LAPOR! but has no twin there;
- missing_local: a report on SP4N-LAPOR! with no local twin;
- status_mismatch: twins whose states disagree (mapping.EXPECTED_REMOTE);
- followup_mismatch: twins whose follow-up counts disagree (remote count vs. the ones we sent or took in);
- duplicates_remote / duplicates_local: one report present twice on a side;
- parked: outbox rows refused or held for a person, and remote payloads that could not be read;
- conflicts: changes on both sides that wait for the admin (docs/lapor.md, "Conflicts");
- unknown_outcome_creates: creates that may have reached SP4N-LAPOR! with no list to look in;
- forward_mismatch: reports forwarded here to another institution that SP4N-LAPOR! still has with the city;
- unknown_status: twins whose remote status code SIKESAL does not know;
- flag_mismatch: twins whose anonim/rahasia flags differ (set here after the report went out: the public
  client shows no call that changes them on SP4N-LAPOR!, so this is counted for a person, not hidden).
Zero everywhere means both sides agree and nothing waits for a person.
"""

from collections import Counter

from django.conf import settings
from django.db.models import Count, Q

from sikesal.complaints.models import Complaint
from sikesal.complaints.states import Channel, Status
from sikesal.integrations.lapor import mapping, masters, outbound, twins
from sikesal.integrations.lapor.client import LaporClient, Missing
from sikesal.integrations.lapor.models import Conflict, Link, Outbox, OutboxKind, OutboxStatus, Parked, RemoteFollowup


def remote_reports(client, progress=None):
    """Every remote report involving the city, by id (a corrupted copy is read again on its own).
    Without a list call, the reports we know are read one by one (then missing_local cannot be known)."""
    if not mapping.call_enabled("list"):
        return _known_reports(client)
    out, page = {}, 1
    while True:
        try:
            results = client.list_page(None, page, page_size=500)
        except Missing:
            return _known_reports(client)
        items = results.get("data") or []
        for item in items:
            try:
                d = mapping.from_remote_report(item)
            except mapping.BadPayload:
                rid = str(item.get("id") or "") if isinstance(item, dict) else ""
                if not rid.isdigit():
                    continue
                data = client.detail(rid).get("data") or {}
                try:
                    d = mapping.from_remote_report(data)
                except mapping.BadPayload:
                    d = {"id": rid, "invalid": True}
            out[d["id"]] = d
        if progress:
            progress(len(out), results.get("total"))
        if page >= int(results.get("last_page") or 1) or not items:
            return out
        page += 1


def _known_reports(client):
    out = {}
    for rid in Link.objects.values_list("remote_id", flat=True):
        try:
            out[rid] = mapping.from_remote_report(client.detail(rid).get("data"))
        except mapping.BadPayload:
            out[rid] = {"id": rid, "invalid": True}
    return out


def reconcile(client=None, *, repair=False, progress=None):
    own = client is None
    client = client or LaporClient()
    try:
        remote = remote_reports(client, progress)
        report = _compare(remote)
        if repair and any(
            report[k] for k in ("missing_remote", "missing_local", "status_mismatch", "followup_mismatch")
        ):
            _repair(remote, report, client)
            report = _compare(remote_reports(client))
    finally:
        if own:
            client.close()
    return {k: v for k, v in report.items() if not k.startswith("_")}


def _compare(remote):
    links = {link.remote_id: link for link in Link.objects.select_related("complaint")}
    followups = dict(
        RemoteFollowup.objects.values("complaint_id").annotate(n=Count("id")).values_list("complaint_id", "n")
    )
    # Every local report the outbound policy sends (all of them, or the verified ones), whether or not
    # an outbox row exists: a row that was never written must show up here too.
    policy = Q(pk__isnull=False) if settings.LAPOR_OUTBOUND_AT != "verification" else Q(verified_at__isnull=False)
    city_ids = masters.city_remote_ids()
    should_exist = Complaint.objects.filter(
        policy | Q(lapor_outbox__kind=OutboxKind.CREATE) | Q(channel=Channel.LAPOR) | Q(lapor_link__isnull=False)
    ).distinct()
    missing_remote = [c.pk for c in should_exist.select_related("lapor_link") if not hasattr(c, "lapor_link")] + [
        link.complaint_id for rid, link in links.items() if rid not in remote
    ]
    missing_local = [rid for rid in remote if rid not in links]
    status_mismatch, followup_mismatch, forward_mismatch, unknown_status, flag_mismatch = [], [], [], [], []
    for rid, d in remote.items():
        link = links.get(rid)
        if link is None or d.get("invalid"):
            continue
        c = link.complaint
        if not d["known_status"]:
            unknown_status.append(rid)
        elif not mapping.remote_agrees(c.status, d["status_code"]):
            status_mismatch.append(rid)
        if (d["is_secret"], d["is_anonymous"]) != (c.is_secret, c.is_anonymous):
            flag_mismatch.append(rid)
        if c.status == Status.FORWARDED and str(d["disposition_id"]) in city_ids:
            forward_mismatch.append(rid)
        if d["followup_count"] != followups.get(c.pk, 0):
            followup_mismatch.append(rid)
    tags = Counter(mapping.tracking_from_tags(d.get("tags_raw")) for d in remote.values())
    tags.pop(None, None)
    dup_remote = sum(n - 1 for n in tags.values() if n > 1)
    dup_local = (
        Complaint.objects.filter(channel=Channel.LAPOR)
        .values("idempotency_key")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    return {
        "compared": len(set(remote) | set(links)),
        "missing_remote": len(missing_remote),
        "missing_local": len(missing_local),
        "status_mismatch": len(status_mismatch),
        "followup_mismatch": len(followup_mismatch),
        "duplicates_remote": dup_remote,
        "duplicates_local": dup_local,
        "parked": Outbox.objects.filter(status=OutboxStatus.PARKED).count()
        + Parked.objects.filter(resolved_at__isnull=True).count(),
        "conflicts": Conflict.objects.filter(resolved_at__isnull=True).count(),
        "unknown_outcome_creates": Outbox.objects.filter(
            status=OutboxStatus.PARKED, kind=OutboxKind.CREATE, state__held="unknown_outcome"
        ).count(),
        "forward_mismatch": len(forward_mismatch),
        "unknown_status": len(unknown_status),
        # anonim/rahasia changed here after the report went out: no public call changes them there
        "flag_mismatch": len(flag_mismatch),
        "_missing_remote": missing_remote,
        "_missing_local": missing_local,
        "_status": status_mismatch,
        "_followups": followup_mismatch,
    }


def _repair(remote, report, client):
    for pk in report["_missing_remote"]:
        c = Complaint.objects.get(pk=pk)
        if c.channel == Channel.LAPOR:
            continue
        # A refused create goes again; one whose outcome is unknown waits for a person (sending it
        # blindly could make a second copy). A report that never went out goes with its history.
        for row in Outbox.objects.filter(complaint=c, kind=OutboxKind.CREATE, status=OutboxStatus.PARKED):
            if row.state.get("held") != "unknown_outcome":
                Outbox.objects.filter(pk=row.pk).update(status=OutboxStatus.PENDING, leased_until=None)
        outbound.replay(c)
    city_ids = masters.city_remote_ids()
    for rid in set(report["_missing_local"]) | set(report["_status"]) | set(report["_followups"]):
        d = remote.get(rid)
        if d and not d.get("invalid"):
            Link.objects.filter(remote_id=rid).update(remote_status=None, followups_seen=0)  # force a full re-read
            twins.apply_remote(d, client, city_ids=city_ids)
    outbound.push(client)
