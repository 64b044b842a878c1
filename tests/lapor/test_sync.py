"""The SP4N-LAPOR! connector against the simulator, over real HTTP, on the test database."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command

from sikesal.complaints.models import Complaint, Event, Reporter
from sikesal.complaints.states import Channel, Status
from sikesal.integrations.lapor import masters, outbound, pull
from sikesal.integrations.lapor.health import health
from sikesal.integrations.lapor.models import Conflict, Link, Outbox, Parked, RemoteFollowup
from sikesal.integrations.lapor.reconcile import reconcile


def drain():
    """What the worker does for the sync: the events' side effect (queue the outbox), then the push.
    (The worker process itself runs in the chaos test.)"""
    for event in Event.objects.order_by("id"):
        outbound.on_event(event)  # idempotent: one outbox row per event
    outbound.push()


def remote_of(sim, complaint):
    complaint.refresh_from_db()
    assert complaint.lapor_complaint_id, "the report has no SP4N-LAPOR! twin"
    return sim.complaints()[int(complaint.lapor_complaint_id)]


@pytest.fixture
def synced(sim, catalogue):
    masters.sync_masters()
    return sim


def test_every_action_is_either_sent_to_lapor_or_kept_local_on_purpose():
    from sikesal.complaints.actions import Action
    from sikesal.integrations.lapor import mapping

    tables = [set(mapping.FOLLOWUP_EVENTS), mapping.REJECT_EVENTS, mapping.ROUTE_EVENTS, mapping.NOT_SENT]
    for action in Action:
        placed = [i for i, table in enumerate(tables) if action in table]
        assert len(placed) == 1, f"{action}: place it in exactly one of mapping's outbound tables, not {placed}"


def test_off_without_base_url(settings, submit):
    settings.LAPOR_BASE_URL = ""
    complaint = submit()
    drain()
    assert not Outbox.objects.filter(complaint=complaint).exists()
    assert outbound.push() == {"sent": 0, "retry": 0, "parked": 0}
    assert health()["enabled"] is False


def test_masters_are_stored_and_opds_matched_by_name(synced, opd, external):
    opd.refresh_from_db()
    external.refresh_from_db()
    # "Dinas Pekerjaan Umum dan Penataan Ruang Kota Jambi" and "PT PLN (Persero) UP3 Jambi" in the master
    assert opd.lapor_institution_id == "1571002"
    assert external.lapor_institution_id == "42"
    counts = health()["master_counts"]
    assert counts["institutions"] >= 40 and counts["templates"] >= 5 and counts["categories"] >= 10


def test_local_report_goes_out_with_privacy_flags_and_without_identity(synced, submit):
    complaint = submit(
        is_anonymous=True,
        is_secret=True,
        reporter={"name": "Siti Aminah", "phone": "081299887766", "nik": "1571010101900001"},
    )
    drain()
    remote = remote_of(synced, complaint)
    assert remote["title"] == complaint.title
    assert remote["is_anonymous"] is True and remote["is_secret"] is True
    assert remote["tags_raw"] == f"sikesal:{complaint.tracking_number}"
    for secret in ("081299887766", "1571010101900001", "Siti Aminah"):
        assert secret not in json.dumps(remote)
    # LAPOR!'s own small location id, taken from its locations master (kelurahan 15.71.08.1004)
    assert remote["location_code"] == "15.71.08.1004" and remote["location_id"] < 1000
    assert remote["content"].startswith(f"[Nomor Tiket SIKESAL: {complaint.tracking_number}]")
    pull.pull()  # the create answer carries only the id; the tracking number comes with the next read
    complaint.refresh_from_db()
    assert complaint.lapor_tracking_id == str(remote["tracking_id"])


def test_lifecycle_is_mirrored_as_followups_and_statuses(synced, submit, act, opd):
    complaint = submit()
    drain()
    synced.tick()  # the national admin verifies the report
    act(complaint, "verify")
    act(complaint, "start")
    act(complaint, "add_followup", message="Tim sudah meninjau lokasi.")
    act(complaint, "complete_followup", message="Lubang sudah ditambal.")
    drain()
    remote = remote_of(synced, complaint)
    assert remote["disposition_id"] == 1571002  # routed to Dinas PUPR
    assert remote["status_name"] == "Terdisposisi Selesai"
    assert [f["content"] for f in remote["followups"]][-2:] == ["Tim sudah meninjau lokasi.", "Lubang sudah ditambal."]
    assert {f["institution_from_id"] for f in remote["followups"]} == {1571002}
    assert Outbox.objects.filter(complaint=complaint).exclude(status="done").count() == 0
    # what we sent is known, so the pull does not bring it back as a new follow-up
    before = Event.objects.filter(complaint=complaint).count()
    pull.pull()
    assert Event.objects.filter(complaint=complaint).count() == before


def test_internal_followup_stays_local(synced, submit, act):
    complaint = submit()
    act(complaint, "verify")
    act(complaint, "add_followup", message="Catatan internal: anggaran belum cair.", internal=True)
    drain()
    remote = remote_of(synced, complaint)
    assert "anggaran" not in json.dumps(remote["followups"])


def test_reports_filed_on_lapor_are_pulled_once_with_identity_rules(synced):
    ids = synced.citizens(12)
    synced.tick()
    synced.faults(duplicate_rate=1.0)  # every list page repeats items
    counts = pull.pull()
    assert counts["created"] == 12
    assert Complaint.objects.filter(channel=Channel.LAPOR).count() == 12
    remote = synced.complaints()
    for rid in ids:
        c = Complaint.objects.get(lapor_complaint_id=str(rid))
        assert c.lapor_tracking_id == str(remote[rid]["tracking_id"])
        assert c.is_anonymous == remote[rid]["is_anonymous"] and c.is_secret == remote[rid]["is_secret"]
        reporter = Reporter.objects.filter(complaint=c).first()
        if remote[rid]["is_anonymous"]:
            assert reporter is None  # nothing about an anonymous reporter is kept
        else:
            assert reporter.name == remote[rid]["reporter"]["name"]
    assert pull.pull()["created"] == 0
    assert Complaint.objects.filter(channel=Channel.LAPOR).count() == 12


def test_malformed_payloads_are_parked_and_recovered(synced):
    synced.citizens(20)
    synced.tick()
    synced.faults(corrupt_rate=0.5)
    counts = pull.pull()
    assert counts["parked"] > 0
    assert counts["recovered"] == counts["parked"]
    assert Complaint.objects.filter(channel=Channel.LAPOR).count() == 20
    parked = Parked.objects.first()
    assert parked.payload and parked.reason  # the raw payload and a readable reason are kept
    # no HTML from a corrupted copy reached a report
    assert not Complaint.objects.filter(body__contains="<script").exists()


def test_remote_reporter_close_and_dispute_come_in_through_the_lifecycle(synced, act):
    a, b = synced.citizens(2)
    synced.tick()
    pull.pull()
    for rid in (a, b):
        c = Complaint.objects.get(lapor_complaint_id=str(rid))
        act(c, "verify")
        act(c, "complete_followup", message="Sudah diperbaiki.")
    drain()
    synced.post(f"/__sim/reporter/{a}", {"action": "close"})
    synced.post(f"/__sim/reporter/{b}", {"action": "dispute", "content": "Belum, masih bocor."})
    pull.pull()
    closed = Complaint.objects.get(lapor_complaint_id=str(a))
    reopened = Complaint.objects.get(lapor_complaint_id=str(b))
    assert closed.status == Status.CLOSED_REPORTER
    assert reopened.status == Status.IN_PROGRESS and reopened.reopen_count == 1
    mirrored = reopened.events.filter(action="lapor_mirror", payload__kind="followup").get()
    assert mirrored.message == "Belum, masih bocor."


def test_forward_to_external_institution_and_its_answer(synced, submit, act):
    complaint = submit(title="Lampu jalan padam karena kabel PLN putus")
    act(complaint, "forward_external", message="Jaringan listrik adalah wewenang PLN.")
    drain()
    remote = remote_of(synced, complaint)
    assert remote["status_name"] == "Bukan Wewenang" and remote["forward_target_id"] == 42
    synced.tick()  # the admin hands it to PLN, PLN answers
    pull.pull()
    complaint.refresh_from_db()
    assert complaint.status == Status.FORWARDED
    answer = complaint.events.filter(action="lapor_mirror", payload__kind="followup").get()
    assert answer.payload["source"] == "PT PLN (Persero) UP3 Jambi"


def test_create_that_answers_500_is_not_duplicated(synced, submit):
    complaint = submit()
    synced.faults(commit_500_rate=1.0, paths=["/complaints/complaint"])
    drain()
    row = Outbox.objects.get(complaint=complaint, kind="create")
    assert row.status == "pending" and "500" in row.last_error
    synced.faults()
    outbound.push()
    remote = [c for c in synced.complaints().values() if c["tags_raw"] == f"sikesal:{complaint.tracking_number}"]
    assert len(remote) == 1
    complaint.refresh_from_db()
    assert complaint.lapor_complaint_id == str(remote[0]["id"])


def test_pull_links_a_report_whose_create_answer_was_lost(synced, submit):
    """Even where LAPOR! ignores idempotency keys: the tag lets the pull recognise our own report."""
    complaint = submit()
    synced.faults(commit_500_rate=1.0, paths=["/complaints/complaint"])
    drain()
    synced.faults()
    synced.tick()
    assert pull.pull()["linked"] == 1
    outbound.push()  # the create row finds the link and sends nothing
    tags = [c["tags_raw"] for c in synced.complaints().values()]
    assert tags.count(f"sikesal:{complaint.tracking_number}") == 1
    assert Outbox.objects.get(complaint=complaint, kind="create").status == "done"


def test_transient_failures_are_retried_and_refusals_parked(synced, submit, act, settings):
    from django.utils import timezone

    settings.LAPOR_HTTP_ATTEMPTS = 1
    complaint = submit()
    synced.faults(error_rate=1.0)
    drain()
    row = Outbox.objects.get(complaint=complaint, kind="create")
    assert row.status == "pending" and row.attempts == 1
    synced.faults(rate_limit_rate=1.0, retry_after=7)
    outbound.push()
    row.refresh_from_db()
    assert row.status == "pending" and "429" in row.last_error and row.leased_until is None
    assert row.next_attempt_at >= timezone.now() + dt.timedelta(seconds=6)  # Retry-After is honoured
    synced.faults()
    Outbox.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    outbound.push()
    row.refresh_from_db()
    assert row.status == "done" and row.attempts == 3
    # LAPOR! refuses a disposition of a report its reporter already closed: the written rule settles it
    # (the remote close wins, the local report follows, the conflict is recorded), nothing is parked
    synced.tick()
    complaint.refresh_from_db()
    synced.post(f"/__sim/reporter/{complaint.lapor_complaint_id}", {"action": "close"})
    act(complaint, "verify")
    drain()
    route = Outbox.objects.get(complaint=complaint, kind="route")
    assert route.status == "superseded" and "409" in route.last_error
    complaint.refresh_from_db()
    assert complaint.status == Status.CLOSED_REPORTER
    conflict = Conflict.objects.get(complaint=complaint)
    assert conflict.rule == "remote_final_wins" and conflict.resolved_at is not None
    report = reconcile()
    assert report["parked"] == 0 and report["conflicts"] == 0 and report["status_mismatch"] == 0


def test_a_killed_sender_leaves_a_lease_that_expires(synced, submit):
    from django.utils import timezone

    complaint = submit()
    drain()  # sent
    act_row = Outbox.objects.get(complaint=complaint, kind="create")
    assert act_row.status == "done"
    other = submit(title="Drainase tersumbat di Jl. Gatot Subroto")
    outbound._queue(other, "create", None)
    row = Outbox.objects.get(complaint=other, kind="create")
    Outbox.objects.filter(pk=row.pk).update(leased_until=timezone.now() + outbound.LEASE)  # a worker died here
    assert outbound.push()["sent"] == 0
    Outbox.objects.filter(pk=row.pk).update(leased_until=timezone.now())
    assert outbound.push()["sent"] == 1


def test_reconcile_finds_and_repairs_differences(synced, submit):
    local = submit()
    drain()
    synced.citizens(3)
    synced.tick()
    out = StringIO()
    call_command("lapor", "reconcile", "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["missing_local"] == 3 and report["missing_remote"] == 0
    call_command("lapor", "reconcile", "--repair", "--json", stdout=(out := StringIO()))
    report = json.loads(out.getvalue())
    assert {k: report[k] for k in ("missing_remote", "missing_local", "status_mismatch", "followup_mismatch")} == {
        "missing_remote": 0,
        "missing_local": 0,
        "status_mismatch": 0,
        "followup_mismatch": 0,
    }
    assert report["compared"] == 4
    assert Link.objects.filter(complaint=local).exists()
    assert RemoteFollowup.objects.count() == 0


def test_lapor_command_without_configuration_says_so(settings):
    from django.core.management.base import CommandError

    settings.LAPOR_BASE_URL = ""
    with pytest.raises(CommandError, match="LAPOR_BASE_URL"):
        call_command("lapor", "pull")


def test_health_page_is_for_the_admin_and_says_when_off(client, users, settings):
    settings.LAPOR_BASE_URL = ""
    client.force_login(users["liaison"])
    assert client.get("/kantor/sinkronisasi-lapor/").status_code == 403
    client.force_login(users["admin"])
    page = client.get("/kantor/sinkronisasi-lapor/").content.decode()
    assert 'id="lapor-off"' in page and "LAPOR_BASE_URL" in page


def test_health_page_shows_what_waits_and_what_was_refused(client, users, synced, submit):
    complaint = submit()
    synced.faults(error_rate=1.0)
    drain()
    client.force_login(users["admin"])
    page = client.get("/kantor/sinkronisasi-lapor/").content.decode()
    assert 'id="lapor-pending">1' in page
    assert client.post("/kantor/sinkronisasi-lapor/").status_code == 302
    synced.faults()
    Outbox.objects.filter(complaint=complaint).update(status="parked", last_error="422: disposisi ditolak")
    page = client.get("/kantor/sinkronisasi-lapor/").content.decode()
    assert complaint.tracking_number in page and "422: disposisi ditolak" in page


def test_ombudsman_takeover_on_lapor_is_recorded_once(synced):
    (rid,) = synced.citizens(1)
    synced.tick()
    pull.pull()
    synced.post(f"/__sim/reporter/{rid}", {"action": "ombudsman"})
    pull.pull()
    pull.pull()
    c = Complaint.objects.get(lapor_complaint_id=str(rid))
    assert c.ombudsman_taken_over is True
    assert c.events.filter(action="lapor_mirror", payload__ombudsman_taken_over=True).count() == 1


def test_reports_filed_while_the_integration_was_off_are_sent_by_repair(synced, submit, settings):
    url = settings.LAPOR_BASE_URL
    settings.LAPOR_BASE_URL = ""
    earlier = submit()
    assert not Outbox.objects.filter(complaint=earlier).exists()
    settings.LAPOR_BASE_URL = url
    assert reconcile()["missing_remote"] == 1
    report = reconcile(repair=True)
    assert report["missing_remote"] == 0 and report["missing_local"] == 0
    assert remote_of(synced, earlier)["tags_raw"] == f"sikesal:{earlier.tracking_number}"
