"""Twins: a report on SP4N-LAPOR! and its local report, linked once (`link`) and kept in step.

`apply_remote` takes a validated remote report (mapping.from_remote_report) and finds its twin: by the
link, by the ticket line of a report SIKESAL sent itself (its create answer never arrived), or by filing a
new local report through submission.submit. It then mirrors the follow-ups and the status (mirror.py).
"""

from django.db import transaction

from sikesal.complaints import submission
from sikesal.complaints.models import Complaint
from sikesal.complaints.policy import Actor
from sikesal.integrations.lapor import filing
from sikesal.integrations.lapor.mapping import BadPayload
from sikesal.integrations.lapor.masters import city_remote_ids
from sikesal.integrations.lapor.mirror import import_followups, mirror_status
from sikesal.integrations.lapor.models import Link


def link(complaint, remote_id, tracking, origin):
    """Record the twin on both the link table and the report (shown to staff and the reporter)."""
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
    return obj


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
    if (
        found.remote_status == d["status_code"]
        and found.followups_seen == d["followup_count"]
        and found.remote_updated_at is not None
        and d["updated_at"] <= found.remote_updated_at
    ):
        return "unchanged"
    reporter_spoke = False
    if d["followup_count"] != found.followups_seen:
        reporter_spoke = import_followups(found, client, city_ids or city_remote_ids())
    mirror_status(found, d, reporter_spoke)
    Link.objects.filter(pk=found.pk).update(
        remote_status=d["status_code"],
        remote_updated_at=d["updated_at"],
        followups_seen=d["followup_count"],
    )
    if d["tracking_id"] and d["tracking_id"] != found.tracking_id:  # a create answer carries only the id
        link(found.complaint, found.remote_id, d["tracking_id"], found.origin)
    return outcome


def _adopt_or_create(d):
    tracking = d["tracking"]
    if tracking:
        own = Complaint.objects.filter(tracking_number=tracking).first()
        if own is not None:  # ours: its create answer never reached us
            made = link(own, d["id"], d["tracking_id"], Link.Origin.LOCAL)
            return Link.objects.select_related("complaint").get(pk=made.pk), "linked"
        raise BadPayload(f"laporan bertanda {tracking} tidak ada di SIKESAL")
    with transaction.atomic():
        result = submission.submit(Actor.system(filing.LAPOR_ACTOR_LABEL), filing.report_data(d))
        made = link(result.complaint, d["id"], d["tracking_id"], Link.Origin.LAPOR)
    return Link.objects.select_related("complaint").get(pk=made.pk), "created"
