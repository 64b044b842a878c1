"""Mirroring: what happened to a linked report on SP4N-LAPOR! (its follow-ups, its status, an Ombudsman
take-over) recorded on the local twin through the lifecycle's `lapor_mirror` action, once each."""

from django.db import transaction
from django.utils.html import strip_tags

from sikesal.complaints import lifecycle
from sikesal.complaints.actions import Action
from sikesal.complaints.errors import LifecycleError
from sikesal.complaints.models import Complaint
from sikesal.complaints.policy import Actor
from sikesal.complaints.states import CLOSED_STATES
from sikesal.integrations.lapor import mapping
from sikesal.integrations.lapor.filing import LAPOR_ACTOR_LABEL
from sikesal.integrations.lapor.mapping import BadPayload
from sikesal.integrations.lapor.models import Conflict, RemoteFollowup
from sikesal.integrations.lapor.parking import park


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
                    Action.LAPOR_MIRROR,
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


def mirror_status(link, d, reporter_spoke):
    """Record the remote status of `d` on the twin: the Ombudsman's take-over, a status the local report
    follows (mapping.mirror_target), an unknown one for staff, or a conflict a person settles."""
    c = Complaint.objects.get(pk=link.complaint_id)
    system = Actor.system(LAPOR_ACTOR_LABEL)
    if d["disposition_id"] in mapping.OMBUDSMAN_INSTITUTION_IDS and not c.ombudsman_taken_over:
        lifecycle.transition(
            c,
            Action.LAPOR_MIRROR,
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
            c, Action.LAPOR_MIRROR, system, kind="status", message=message, lapor_status=d["status_name"],
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
