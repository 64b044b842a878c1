"""Compare both sides and, on request, repair: the proof that nothing was lost or duplicated.

Reads every report SP4N-LAPOR! lists for the city (all pages, duplicates collapsed) and every local
report that should have a twin, and counts:
- missing_remote: a local report that should be on SP4N-LAPOR! but has no twin there;
- missing_local: a report on SP4N-LAPOR! with no local twin;
- status_mismatch: twins whose states disagree (mapping.EXPECTED_REMOTE);
- followup_mismatch: twins whose follow-up counts disagree (remote count vs. the ones we sent or took in);
- duplicates_remote / duplicates_local: one report present twice on a side (remote: by our number in
  the tags or the text, or by title and text filed close together: `remote_duplicates`);
- parked: outbox rows refused or held for a person, and remote payloads that could not be read;
- conflicts: changes on both sides that wait for the admin (docs/lapor.md, "Conflicts");
- unknown_outcome_creates: creates that may have reached SP4N-LAPOR! with no list to look in;
- unread: known reports whose copy could not be read now;
- forward_mismatch: reports forwarded here to another institution that SP4N-LAPOR! still has with the city;
- unknown_status: twins whose remote status code SIKESAL does not know;
- flag_mismatch: twins whose anonim/rahasia flags differ (set here after the report went out: the public
  client shows no call that changes them on SP4N-LAPOR!, so this is counted for a person, not hidden).
Zero everywhere means both sides agree and nothing waits for a person. A count that could not be taken
is None ("tidak diketahui" on the sync page), never 0: without a list, missing_local and
duplicates_remote; with a copy unread, the comparisons it takes part in.
"""

import logging

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from sikesal.complaints.models import Complaint
from sikesal.complaints.states import Channel, Status
from sikesal.integrations.lapor import mapping, masters, outbound, twins
from sikesal.integrations.lapor.client import LaporClient, Missing, Rejected, Unavailable
from sikesal.integrations.lapor.models import (
    Conflict,
    Link,
    Outbox,
    OutboxKind,
    OutboxStatus,
    Parked,
    RemoteFollowup,
    SyncState,
)

log = logging.getLogger("sikesal.lapor")


class Remote(dict):
    """The remote reports by id, and what could not be seen: `listed` is False when there was no list to
    read (then a report filed on SP4N-LAPOR! and never linked cannot be known), `unread` the known reports
    whose copy could not be read now."""

    def __init__(self, items=(), *, listed, unread=()):
        super().__init__(items)
        self.listed = listed
        self.unread = set(unread)


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
                    d = {"id": rid, "invalid": True, "tracking": mapping.tracking_of(data)}
            out[d["id"]] = d
        if progress:
            progress(len(out), results.get("total"))
        if page >= int(results.get("last_page") or 1) or not items:
            return Remote(out, listed=True)
        page += 1


def _known_reports(client):
    out, unread = {}, set()
    for rid in Link.objects.values_list("remote_id", flat=True):
        try:
            data = client.detail(rid).get("data")
        except (Unavailable, Rejected) as exc:  # not readable now: its counts are unknown, not zero
            log.info("lapor reconcile: %s not read: %s", rid, exc)
            unread.add(rid)
            continue
        try:
            out[rid] = mapping.from_remote_report(data)
        except mapping.BadPayload:
            out[rid] = {"id": rid, "invalid": True, "tracking": mapping.tracking_of(data)}
    return Remote(out, listed=False, unread=unread)


def reconcile(client=None, *, repair=False, progress=None):
    """The counts (None where a count could not be taken: never a 0 that was not seen). The result is
    kept for the sync page (SyncState "reconcile")."""
    own = client is None
    client = client or LaporClient()
    try:
        remote = remote_reports(client, progress)
        report = _compare(remote, client)
        if repair and any(
            report[k] for k in ("missing_remote", "missing_local", "status_mismatch", "followup_mismatch")
        ):
            _repair(remote, report, client)
            remote = remote_reports(client)
            report = _compare(remote, client)
    finally:
        if own:
            client.close()
    counts = {k: v for k, v in report.items() if not k.startswith("_")}
    store(counts, report)
    return counts


def store(counts, report):
    """The last reconcile, for the sync page: its counts and which reports stand behind the red ones."""
    value = {
        "at": timezone.now().isoformat(),
        "counts": counts,
        "duplicates": report["_duplicates"][:50],
        "flag_mismatch": report["_flags"][:50],
    }
    SyncState.objects.update_or_create(key="reconcile", defaults={"value": value})


def last():
    """The last stored reconcile (or None), with its duplicates and flag mismatches as local reports."""
    value = SyncState.objects.filter(key="reconcile").values_list("value", flat=True).first()
    if not value:
        return None
    numbers = dict(
        Link.objects.filter(remote_id__in=value.get("flag_mismatch", [])).values_list(
            "remote_id", "complaint__tracking_number"
        )
    )
    return {**value, "flags": [{"remote_id": rid, "tracking": numbers.get(rid)} for rid in value["flag_mismatch"]]}


def _compare(remote, client):
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
        link.complaint_id for rid, link in links.items() if rid not in remote and rid not in remote.unread
    ]
    missing_local = [rid for rid in remote if rid not in links]
    unread = remote.unread
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
        remote_count = d["followup_count"]
        if remote_count is None:  # the copy does not say: count its follow-ups
            try:
                remote_count = len(client.followups(rid))
            except (Unavailable, Rejected):
                unread.add(rid)
                continue
        if remote_count != followups.get(c.pk, 0):
            followup_mismatch.append(rid)
    duplicates = remote_duplicates(remote.values(), linked=set(links))
    dup_local = (
        Complaint.objects.filter(channel=Channel.LAPOR)
        .values("idempotency_key")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    # A count that could not be taken is None ("tidak diketahui" on the sync page), never 0: without a
    # list, a report filed on SP4N-LAPOR! and its second copies of ours are out of sight; a copy that
    # could not be read leaves its comparisons open.
    seen = not unread

    def known(items, complete=True):
        return len(items) if complete else None

    return {
        "compared": len(set(remote) | set(links)),
        "missing_remote": known(missing_remote, seen),
        "missing_local": known(missing_local, remote.listed),
        "status_mismatch": known(status_mismatch, seen),
        "followup_mismatch": known(followup_mismatch, seen),
        "duplicates_remote": known(duplicates, remote.listed),
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
        "flag_mismatch": known(flag_mismatch, seen),
        "unread": len(unread),
        "_duplicates": duplicates,
        "_flags": flag_mismatch,
        "_missing_remote": missing_remote,
        "_missing_local": missing_local,
        "_status": status_mismatch,
        "_followups": followup_mismatch,
    }


def remote_duplicates(reports, window=None, linked=None):
    """Remote ids that are a second (third...) copy of one of our reports, found by content as well as
    by tag: our tracking number in the tags or in the text, or, for a copy carrying neither, the title
    and text of one of our reports filed close to it. Never by one field the other side may drop. The
    linked copy is the original (else the oldest, the lowest id): the others are listed for the admin.
    Two citizens' reports with the same words on SP4N-LAPOR! are two reports there, not our double."""
    window = settings.LAPOR_DUPLICATE_WINDOW_SECONDS if window is None else window
    linked = linked or {}
    groups = {}
    loose = [d for d in reports if not d.get("tracking") and not d.get("invalid") and d["content"].strip()]
    for d in reports:
        if d.get("tracking"):
            groups.setdefault(d["tracking"], []).append(d)
    ours = Complaint.objects.exclude(channel=Channel.LAPOR).filter(title__in={d["title"] for d in loose})
    by_text = {
        mapping.content_key(c.title, c.body): c for c in ours.only("tracking_number", "title", "body", "created_at")
    }
    for d in loose:
        c = by_text.get(mapping.content_key(d["title"], d["content"]))
        close = c is not None and (
            d.get("created_at") is None or abs((d["created_at"] - c.created_at).total_seconds()) <= window
        )
        if close:
            groups.setdefault(c.tracking_number, []).append(d)
    out = []
    for copies in groups.values():
        copies.sort(key=lambda d: (d["id"] not in linked, int(d["id"])))
        out += [d["id"] for d in copies[1:]]
    return sorted(out, key=int)


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
