"""Twins: a report on SP4N-LAPOR! and its local report, linked once (`link`) and kept in step.

`apply_remote` takes a validated remote report (mapping.from_remote_report) and finds its twin: by the
link, by the ticket line of a report SIKESAL sent itself (its create answer never arrived), or by filing a
new local report through submission.submit. It then mirrors the follow-ups and the status (mirror.py).
"""

from django.db import transaction
from django.utils import timezone

from sikesal.complaints import submission
from sikesal.complaints.models import Complaint
from sikesal.complaints.policy import Actor
from sikesal.integrations.lapor import filing
from sikesal.integrations.lapor.mapping import BadPayload
from sikesal.integrations.lapor.masters import city_remote_ids
from sikesal.integrations.lapor.mirror import import_followups, mirror_status
from sikesal.integrations.lapor.models import Link, Outbox, OutboxKind, OutboxStatus


def link(complaint, remote_id, tracking, origin, found_by="create"):
    """Record the twin on both the link table and the report (shown to staff and the reporter), and
    release the work that waited for it: whichever path found the twin (the create's answer, the pull's
    ticket line, a later look, the operator), the create is done and the rows behind it go."""
    with transaction.atomic():
        obj, created = Link.objects.get_or_create(
            complaint=complaint, defaults={"remote_id": remote_id, "tracking_id": tracking, "origin": origin}
        )
        if tracking and obj.tracking_id != tracking:
            Link.objects.filter(pk=obj.pk).update(tracking_id=tracking)
            obj.tracking_id = tracking
        Complaint.objects.filter(pk=complaint.pk).update(
            lapor_complaint_id=obj.remote_id, lapor_tracking_id=obj.tracking_id or tracking
        )
        release(complaint.pk, obj.remote_id, found_by)
    return obj


def release(complaint_id, remote_id, found_by):
    """The report's create is on SP4N-LAPOR!: its outbox row (held as an unknown outcome, refused, or
    waiting to be looked for) becomes sent, so the follow-ups and routings queued behind it proceed.
    A row leased by a push in progress is left to that push (it finds the link before any call)."""
    now = timezone.now()
    rows = Outbox.objects.select_for_update().filter(complaint_id=complaint_id, kind=OutboxKind.CREATE)
    released = 0
    for row in rows.exclude(status__in=(OutboxStatus.DONE, OutboxStatus.SUPERSEDED)):
        if row.status == OutboxStatus.PENDING and row.leased_until and row.leased_until > now:
            continue
        state = {k: v for k, v in row.state.items() if k not in ("held", "unsure")}
        state.update(complaint_id=remote_id, linked_by=found_by)
        Outbox.objects.filter(pk=row.pk).update(
            status=OutboxStatus.DONE, state=state, done_at=now, leased_until=None, last_error=""
        )
        released += 1
    return released  # the rows behind go in this push run, or the push right after the pull that linked


def apply_remote(d, client, *, city_ids=None):
    """Create or update the local twin of a validated remote report. Returns what happened."""
    found = Link.objects.select_related("complaint").filter(remote_id=d["id"]).first()
    outcome = "updated"
    if found is None:
        found, outcome = _adopt_or_create(d)
        if found is None:
            return outcome
    return apply_to_link(found, d, client, city_ids, outcome)


def apply_to_link(found, d, client, city_ids, outcome):
    """The rest of `apply_remote` once the report has its twin: follow-ups, status, the link's record."""
    # A copy without `updated_at` or `followup_count` (either may be absent) is never taken as unchanged:
    # its follow-ups are read each time (the known ones are skipped by their keys).
    if (
        found.remote_status == d["status_code"]
        and d["followup_count"] is not None
        and found.followups_seen == d["followup_count"]
        and found.remote_updated_at is not None
        and d["updated_at"] is not None
        and d["updated_at"] <= found.remote_updated_at
    ):
        return "unchanged"
    reporter_spoke = False
    if d["followup_count"] is None or d["followup_count"] != found.followups_seen:
        reporter_spoke = import_followups(found, client, city_ids or city_remote_ids())
    mirror_status(found, d, reporter_spoke)
    Link.objects.filter(pk=found.pk).update(
        remote_status=d["status_code"],
        remote_updated_at=d["updated_at"] or found.remote_updated_at,
        followups_seen=found.followups_seen if d["followup_count"] is None else d["followup_count"],
    )
    if d["tracking_id"] and d["tracking_id"] != found.tracking_id:  # a create answer carries only the id
        link(found.complaint, found.remote_id, d["tracking_id"], found.origin)
    return outcome


def _adopt_or_create(d):
    tracking = d["tracking"]
    if tracking:
        own = Complaint.objects.filter(tracking_number=tracking).select_related("lapor_link").first()
        twin = getattr(own, "lapor_link", None)
        if twin is not None and twin.remote_id != d["id"]:
            # A second copy of our report (a create that committed after we had looked for it and sent
            # it again): flagged for the admin, who closes it on SP4N-LAPOR!; never applied to the twin.
            raise BadPayload(
                f"salinan ganda dari {tracking}: laporan ini sudah tertaut ke SP4N-LAPOR! {twin.remote_id}; "
                f"tutup salinan {d['id']} di SP4N-LAPOR!"
            )
        if own is not None:  # ours: its create answer never reached us
            made = link(own, d["id"], d["tracking_id"], Link.Origin.LOCAL, found_by="pull")
            return Link.objects.select_related("complaint").get(pk=made.pk), "linked"
        raise BadPayload(f"laporan bertanda {tracking} tidak ada di SIKESAL")
    with transaction.atomic():
        result = submission.submit(Actor.system(filing.LAPOR_ACTOR_LABEL), filing.report_data(d))
        made = link(result.complaint, d["id"], d["tracking_id"], Link.Origin.LAPOR)
    return Link.objects.select_related("complaint").get(pk=made.pk), "created"
