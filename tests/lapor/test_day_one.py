"""The connector against a simulator that is as unkind as the real service (public-client shapes, no
idempotency, optional calls switched off), one test per finding of the day-one review (docs/lapor.md)."""

import datetime as dt
import io
import json

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from PIL import Image

from sikesal.catalogue.models import Institution
from sikesal.complaints.models import Complaint, Event
from sikesal.complaints.states import Channel, Status
from sikesal.integrations.lapor import health, mapping, masters, outbound, pull
from sikesal.integrations.lapor.models import Conflict, Link, Outbox, RemoteFollowup
from sikesal.integrations.lapor.outbound import lapor_push
from sikesal.integrations.lapor.reconcile import reconcile
from sikesal.integrations.lapor.tasks import lapor_sync
from tests.conftest import wait_until
from tests.lapor.test_sync import drain, remote_of

CLEAN = {
    "missing_remote": 0,
    "missing_local": 0,
    "status_mismatch": 0,
    "followup_mismatch": 0,
    "duplicates_remote": 0,
    "duplicates_local": 0,
    "parked": 0,
    "conflicts": 0,
    "unknown_outcome_creates": 0,
    "forward_mismatch": 0,
    "unknown_status": 0,
}


@pytest.fixture
def synced(sim, catalogue):
    masters.sync_masters()
    return sim


def settle(sim):
    """What the worker does over a few sync slots: push, let LAPOR! act, pull."""
    for _ in range(2):
        drain()
        sim.tick()
        pull.pull()
        drain()


def copies_of(sim, complaint):
    return [
        c for c in sim.complaints().values() if f"Nomor Tiket SIKESAL: {complaint.tracking_number}]" in c["content"]
    ]


def jpeg():
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 120, 30)).save(out, "JPEG")
    return out.getvalue()


# 1. Every LAPOR!-side move converges ----------------------------------------------------------------


def test_a_dispute_on_lapor_of_an_unverified_report_is_no_mismatch(synced, submit):
    complaint = submit()
    settle(synced)
    rid = int(remote_of(synced, complaint)["id"])
    synced.post(f"/__sim/complaint/{rid}", {"status_code": mapping.IN_PROCESS})
    pull.pull()
    complaint.refresh_from_db()
    assert complaint.status == Status.RECEIVED  # both open: LAPOR!'s step name does not reopen anything
    assert {k: reconcile()[k] for k in CLEAN} == CLEAN


def test_reporter_closing_on_lapor_closes_a_report_waiting_for_information(synced, submit, act):
    complaint = submit()
    act(complaint, "request_info")
    settle(synced)
    rid = int(remote_of(synced, complaint)["id"])
    synced.post(f"/__sim/complaint/{rid}", {"status_code": mapping.CLOSED_REPORTER})
    pull.pull()
    complaint.refresh_from_db()
    assert complaint.status == Status.CLOSED_REPORTER
    assert {k: reconcile()[k] for k in CLEAN} == CLEAN


def test_two_different_closes_agree_and_an_unknown_status_is_shown(synced, submit, act):
    archived, odd = submit(), submit(title="Lampu jalan mati di Simpang Rimbo")
    act(archived, "archive")
    settle(synced)
    synced.post(f"/__sim/complaint/{remote_of(synced, archived)['id']}", {"status_code": mapping.CLOSED_REPORTER})
    synced.post(f"/__sim/complaint/{remote_of(synced, odd)['id']}", {"status_code": 23})
    pull.pull()
    report = reconcile()
    assert report["status_mismatch"] == 0  # archived here, closed by the reporter there: both final
    assert report["unknown_status"] == 1  # never dropped: counted, on the timeline and on the health page
    note = Event.objects.filter(complaint=odd, action="lapor_mirror").last()
    assert "23" in note.message and note.visibility == "staff"
    assert "unknown_status" in health.health()["red"]


# 2. Parked work is visible, and comes back by itself ----------------------------------------------


def test_forward_to_an_institution_missing_from_the_master_is_held_and_counted(synced, submit, act, external):
    bpjn = Institution.objects.get(short_name="BPJN Jambi")
    bpjn.lapor_institution_id = "200003"  # typed by hand, not in LAPOR!'s master
    bpjn.save()
    complaint = submit()
    settle(synced)
    act(complaint, "forward_external", institution=bpjn.pk)
    drain()
    row = Outbox.objects.get(complaint=complaint, kind="reject")
    assert row.status == "parked" and row.state["held"] == "missing_id" and "BPJN" in row.last_error
    report = reconcile()
    assert report["forward_mismatch"] == 1 and report["parked"] == 1  # never "matching"
    # the master matches it by name once its name is right; the held row then goes by itself
    Institution.objects.filter(pk=bpjn.pk).update(lapor_institution_id="")
    masters.sync_masters()
    drain()
    row.refresh_from_db()
    assert row.status == "done"
    synced.tick()  # LAPOR!'s admin hands it on
    assert remote_of(synced, complaint)["disposition_id"] == 31  # BPJN Jambi in LAPOR!'s master
    pull.pull()  # (BPJN's answer comes in)
    assert {k: reconcile()[k] for k in CLEAN} == CLEAN


def test_a_wrong_secret_parks_nothing_and_fixing_it_sends_everything(synced, submit, act, settings):
    settings.LAPOR_AUTH_SECRET = "Bearer wrong"
    complaint = submit()
    act(complaint, "verify")
    drain()
    rows = Outbox.objects.filter(complaint=complaint)
    assert set(rows.values_list("status", flat=True)) == {"pending"}
    h = health.health()
    assert "auth" in h["red"] and "401" in {c["name"]: c for c in h["calls"]}["auth"]["error"]
    settings.LAPOR_AUTH_SECRET = "Bearer sim-secret"
    rows.update(next_attempt_at=timezone.now())
    drain()
    assert set(rows.values_list("status", flat=True)) == {"done"}
    assert "auth" not in health.health()["red"]


# 3. Reports from before the integration go out with their true state ------------------------------


def test_reports_from_before_the_integration_arrive_in_their_true_state(synced, submit, act, settings):
    settings.LAPOR_BASE_URL = ""
    closed = submit()
    for action in ("verify", "complete_followup", "confirm"):
        act(closed, action)
    open_one = submit(title="Drainase tersumbat di Kota Baru")
    settings.LAPOR_BASE_URL = synced.url
    settle(synced)  # the first sync replays them: no manual repair
    assert remote_of(synced, closed)["status_code"] in mapping.FINAL
    assert remote_of(synced, open_one)["status_code"] in mapping.OPEN
    assert {k: reconcile()[k] for k in CLEAN} == CLEAN


# 4. The sync never waits behind other work; a thousand changes make one push --------------------------


def test_the_sync_outranks_other_tasks_and_pushes_are_not_piled_up(synced, submit):
    from sikesal.complaints.tasks import sweep_deadlines

    for _ in range(30):
        sweep_deadlines.enqueue()
    for i in range(20):
        submit(title=f"Jalan rusak nomor {i}")
        outbound.on_event(Event.objects.filter(action="submit").last())
    from django.db import transaction

    transaction.get_connection().run_on_commit = []  # (the test transaction never commits)
    from sikesal.integrations.lapor.outbound import enqueue_push

    for _ in range(20):
        enqueue_push()
    lapor_sync.enqueue()
    ready = DBTaskResult.objects.filter(status="READY")
    assert ready.filter(task_path=lapor_push.module_path).count() == 1
    assert ready.first().task_path == lapor_sync.module_path  # the order the worker claims in
    assert list(ready)[1].task_path == lapor_push.module_path


# 6 and 7. Exactly one copy without idempotency --------------------------------------------------------


def test_three_push_runs_make_one_copy(synced, submit):
    complaint = submit()
    for _ in range(3):
        drain()
        Outbox.objects.filter(complaint=complaint).update(next_attempt_at=timezone.now())
    assert len(copies_of(synced, complaint)) == 1
    assert Outbox.objects.get(complaint=complaint, kind="create").status == "done"


def test_a_create_that_committed_and_answered_500_is_found_not_resent(synced, submit):
    complaints = [submit(title=f"Sampah menumpuk di pasar {i}") for i in range(5)]
    synced.faults(commit_500_rate=1.0, paths=["/complaints/complaint"])
    drain()
    assert all(row.state.get("unsure") for row in Outbox.objects.filter(kind="create"))
    synced.faults()
    Outbox.objects.update(next_attempt_at=timezone.now())
    drain()
    assert [len(copies_of(synced, c)) for c in complaints] == [1] * 5
    assert {k: reconcile()[k] for k in CLEAN} == CLEAN


def test_a_create_still_running_there_when_our_timeout_struck_is_not_sent_twice(synced, submit, settings):
    complaint = submit()
    settings.LAPOR_TIMEOUT_SECONDS = 0.3
    settings.LAPOR_UNSURE_SETTLE_SECONDS = 3
    synced.faults(slow_rate=1.0, slow_seconds=1.0, paths=["/complaints/complaint"])  # commits after 1 s
    drain()
    row = Outbox.objects.get(complaint=complaint, kind="create")
    assert row.state["unsure"] and row.next_attempt_at >= timezone.now() + dt.timedelta(seconds=2)
    synced.faults()
    Outbox.objects.update(next_attempt_at=timezone.now())  # someone presses "retry now" at once
    drain()
    row.refresh_from_db()
    assert row.status == "pending" and row.attempts == 1  # not looked for, not sent: it may still be running
    # The simulator (another process, on the real clock) commits the slow request after our timeout.
    assert len(wait_until(lambda: copies_of(synced, complaint), timeout=10)) == 1
    Outbox.objects.update(next_attempt_at=timezone.now())
    settings.LAPOR_UNSURE_SETTLE_SECONDS = 0
    drain()
    row.refresh_from_db()
    assert row.status == "done" and row.state["found_after_lost_answer"]
    assert len(copies_of(synced, complaint)) == 1


def test_without_a_list_an_unknown_outcome_waits_for_a_person(synced, submit):
    complaint = submit()
    synced.post("/__sim/endpoints", {"disabled": ["list"]})
    synced.faults(drop_rate=1.0, paths=["/complaints/complaint"])
    drain()
    synced.faults()
    Outbox.objects.update(next_attempt_at=timezone.now())
    drain()
    row = Outbox.objects.get(complaint=complaint, kind="create")
    assert row.status == "parked" and row.state["held"] == "unknown_outcome"
    assert reconcile()["unknown_outcome_creates"] == 1
    assert len(copies_of(synced, complaint)) <= 1  # never sent blindly a second time
    synced.post("/__sim/endpoints", {"disabled": []})


# 8. Calls with no public evidence are optional, and their absence is visible ------------------------


def test_without_list_disposition_and_categories_the_sync_goes_on_and_says_so(synced, submit, act):
    synced.post("/__sim/endpoints", {"disabled": ["list", "disposition", "categories"]})
    try:
        masters.sync_masters()  # categories answer 404: recorded, not a stop
        complaint = submit()
        act(complaint, "verify")
        act(complaint, "complete_followup", message="Sudah diperbaiki.")
        drain()
        assert set(Outbox.objects.filter(complaint=complaint).values_list("status", flat=True)) == {"done"}
        rid = remote_of(synced, complaint)["id"]
        synced.post(
            f"/__sim/complaint/{rid}", {"followup": {"content": "Terima kasih, sudah beres.", "from": "reporter"}}
        )
        counts = pull.pull()  # no list: the reports we know are read one by one
        assert counts["polled"] >= 1
        assert Event.objects.filter(complaint=complaint, message="Terima kasih, sudah beres.").exists()
        h = health.health()
        assert {"categories", "list"} <= set(h["missing_calls"])
        assert "missing:list" in h["red"]
    finally:
        synced.post("/__sim/endpoints", {"disabled": []})


# 9. Auth header and scheme are configuration ----------------------------------------------------------


def test_auth_headers_are_sent_exactly_as_configured(settings):
    settings.LAPOR_AUTH_HEADER, settings.LAPOR_AUTH_SECRET, settings.LAPOR_TOKEN = "X-Api-Key", "abc123", ""
    assert mapping.auth_headers() == {"X-Api-Key": "abc123"}  # no "Bearer " added, no empty token header
    settings.LAPOR_AUTH_HEADER, settings.LAPOR_AUTH_SECRET, settings.LAPOR_TOKEN = "Authorization", "Bearer s", "t"
    assert mapping.auth_headers() == {"Authorization": "Bearer s", "token": "t"}


# 10. Photos come back under `images`, and are not dropped ----------------------------------------------


def test_photos_uploaded_before_the_create_reach_lapor(synced, submit):
    complaint = submit(files=[("lubang.jpg", jpeg())])
    drain()
    remote = remote_of(synced, complaint)
    assert len(remote["attachments"]) == 1
    assert Outbox.objects.get(complaint=complaint, kind="create").state["docs"]


# 11. Follow-ups without ids, object authors, the full posting --------------------------------------------


def test_reporter_replies_without_ids_come_in_once_each(synced):
    (rid,) = synced.citizens(1)
    synced.tick()
    pull.pull()
    complaint = Complaint.objects.get(lapor_complaint_id=str(rid))
    for _ in range(2):  # the same words twice: two replies
        synced.post(f"/__sim/complaint/{rid}", {"followup": {"content": "Mohon segera dicek.", "from": "reporter"}})
    pull.pull()
    pull.pull()
    assert Event.objects.filter(complaint=complaint, message="Mohon segera dicek.").count() == 2
    assert RemoteFollowup.objects.filter(complaint=complaint, direction="in").count() >= 2


def test_our_own_followups_are_not_echoed_and_carry_the_full_fields(synced, submit, act):
    complaint = submit()
    act(complaint, "verify")
    act(complaint, "add_followup", message="Tim sudah meninjau lokasi.")
    settle(synced)
    assert not Event.objects.filter(complaint=complaint, action="lapor_mirror").exists()
    (sent,) = [f for f in remote_of(synced, complaint)["followups"] if f["content"] == "Tim sudah meninjau lokasi."]
    assert sent["institution_from_id"] == 1571002 and sent["template_code"] in {"sedang_diproses", "reply_sikesal"}
    assert reconcile()["followup_mismatch"] == 0


def test_followup_readings_are_pure_and_tolerant():
    f = mapping.from_remote_followup(
        {"content": "Sudah", "created_at": "02-11-2026 09:00:00", "institution_from_id": {"id": 42, "name": "PLN"}},
        "77",
    )
    assert f["from_id"] == "42" and f["from_name"] == "PLN" and not f["is_reporter"]
    assert f["created_at"].isoformat() == "2026-11-02T09:00:00+07:00" and f["key"].startswith("fp:")
    assert mapping.created_id({"success": True, "complaint_id": 9}) == "9"
    assert mapping.created_id({"success": True, "results": {}}) is None  # a 2xx without an id is no success
    assert mapping.upload_ids({"images": [{"id": 1}], "docs": [{"id": 2}]}) == ["1", "2"]


# 12. Values come from LAPOR!'s masters ------------------------------------------------------------------


def test_create_sends_master_ids_and_the_public_clients_value_shapes(synced, submit):
    complaint = submit()
    c = Complaint.objects.get(pk=complaint.pk)
    fields = mapping.to_remote_create(
        c, docs=["5"], disposition_id=1571002, location_id=masters.location_id(c.area_id), category_id=None
    )
    assert fields["attachments"] == json.dumps([5])  # a string holding a JSON array
    assert fields["content"].startswith(f"[Nomor Tiket SIKESAL: {c.tracking_number}]")
    assert fields["location_id"] is not None and fields["location_id"] < 1000  # not a Kemendagri code
    assert (
        mapping.to_remote_create(c, docs=[], disposition_id=1, location_id=None, category_id=None)["attachments"]
        is False
    )
    assert c.channel != Channel.LAPOR and not Link.objects.exists()


def test_an_admin_settles_a_conflict_with_one_click(client, synced, submit, users):
    complaint = submit()
    Conflict.objects.create(complaint=complaint, local_status="received", detail="x", rule="needs_person")
    assert reconcile()["conflicts"] == 1
    client.force_login(users["admin"])
    client.post("/kantor/sinkronisasi-lapor/", {"do": "resolve", "conflict": str(Conflict.objects.get().pk)})
    assert reconcile()["conflicts"] == 0


def test_a_red_state_is_mailed_to_the_admin_once_per_change(synced, submit, users, settings, mailoutbox):
    users["admin"].email = "admin@jambikota.go.id"
    users["admin"].save()
    settings.LAPOR_AUTH_SECRET = "Bearer wrong"
    submit()
    drain()
    assert "auth" in health.alert_on_change()
    health.alert_on_change()  # the same state again: no second mail
    assert len(mailoutbox) == 1 and "auth" in mailoutbox[0].subject
    assert mailoutbox[0].to == ["admin@jambikota.go.id"]
    settings.LAPOR_AUTH_SECRET = "Bearer sim-secret"
    Outbox.objects.update(next_attempt_at=timezone.now())
    drain()
    pull.pull()
    assert "auth" not in health.alert_on_change()
    assert len(mailoutbox) == 2  # and one when it changes again


def test_flags_changed_after_the_report_went_out_are_counted(synced, submit, act):
    complaint = submit()
    settle(synced)
    assert reconcile()["flag_mismatch"] == 0
    assert "flag_mismatch" not in health.health()["red"]
    act(complaint, "set_flags", is_secret=True)
    assert reconcile()["flag_mismatch"] == 1  # visible, not silently "matching"
    assert "flag_mismatch" in health.health()["red"]  # and red, mailed to the admins like the others


def test_rows_parked_by_an_older_version_after_a_401_go_again(synced, submit):
    complaint = submit()
    drain()
    Outbox.objects.filter(complaint=complaint).update(status="parked", last_error="401: Unauthenticated.")
    Link.objects.filter(complaint=complaint).delete()
    synced.post("/__sim/reset")
    drain()
    assert Outbox.objects.get(complaint=complaint, kind="create").status == "done"
    assert len(copies_of(synced, complaint)) == 1


def test_the_health_page_says_what_is_wrong_in_indonesian(client, users, synced, submit, settings):
    settings.LAPOR_AUTH_SECRET = "Bearer wrong"
    submit()
    drain()
    client.force_login(users["admin"])
    page = client.get("/kantor/sinkronisasi-lapor/").content.decode()
    assert 'id="lapor-red"' in page and "menolak kredensial" in page  # what it means, and what to do
    assert 'id="lapor-calls"' in page and "401" in page
