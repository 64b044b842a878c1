"""Likely duplicates: found by text, place and reporter; shown to the citizen before filing; merged by
the admin in one action, after which the duplicate's reporter follows the original."""

import datetime as dt

import pytest
from django.utils import timezone

from sikesal.complaints.models import Complaint
from sikesal.integrations.notify.handlers import notify_reporter
from sikesal.integrations.notify.models import Notification
from sikesal.routing import duplicates

PIPE = {
    "service": "air-keruh",
    "title": "Pipa PDAM bocor di depan SD 47",
    "body": "Pipa air PDAM bocor besar di depan SD 47, air muncrat ke jalan sejak pagi dan terbuang percuma.",
    "latitude": "-1.6101",
    "longitude": "103.6131",
}


def test_near_same_text_is_found_and_unrelated_text_is_not(submit):
    now = timezone.now()
    original = submit(now=now, **PIPE)
    found = duplicates.find(
        "pipa pdam bocor depan SD 47",
        "pipa air pdam bocorr besar depan sd 47, airnya muncrat ke jln dari pagi",
        service_id=original.service_id,
    )
    assert [m.tracking_number for m in found] == [original.tracking_number]
    assert "%" in found[0].reasons[0]
    other = duplicates.find(
        "Air keruh", "Air PDAM di rumah keruh kecoklatan sejak kemarin.", service_id=original.service_id
    )
    assert other == []


def test_related_text_counts_only_nearby(submit):
    now = timezone.now()
    original = submit(now=now, **PIPE)
    text = ("Kebocoran pipa", "Ada kebocoran pipa air di jalan depan sekolah, tolong diperbaiki.")
    near = duplicates.find(*text, service_id=original.service_id, latitude=-1.6105, longitude=103.6133)
    far = duplicates.find(*text, service_id=original.service_id, latitude=-1.6501, longitude=103.5731)
    assert [m.tracking_number for m in near] == [original.tracking_number]
    assert any(" m" in r for r in near[0].reasons)
    assert far == []


def test_the_same_reporter_repeating(submit):
    now = timezone.now()
    first = submit(now=now, **{**PIPE, "reporter": {"name": "Budi", "phone": "081234567890"}})
    second = submit(
        now=now + dt.timedelta(hours=2),
        **{**PIPE, "service": "jalan-rusak", "title": "Pipa bocor belum juga diperbaiki",
           "body": "Pipa PDAM depan sekolah masih bocor, air terbuang.", "reporter": {"phone": "081234567890"}},
    )  # fmt: skip
    found = duplicates.for_complaint(second)
    assert found and found[0].tracking_number == first.tracking_number
    assert "the same reporter" in found[0].reasons or "pelapor yang sama" in found[0].reasons


def _later_report_by(reporter, now):
    """Another report of the same problem under another service: only its reporter can bring the first one
    up (the candidates are the newest reports of its own service)."""
    return dict(
        now=now + dt.timedelta(hours=2),
        **{**PIPE, "service": "jalan-rusak", "title": "Pipa bocor belum juga diperbaiki",
           "body": "Pipa PDAM depan sekolah masih bocor, air terbuang.", "reporter": reporter},
    )  # fmt: skip


@pytest.mark.parametrize("typed", ["+6281234567890", "6281234567890"])
def test_the_same_reporter_however_the_number_is_written(submit, typed):
    now = timezone.now()
    first = submit(now=now, **{**PIPE, "reporter": {"name": "Budi", "phone": "081234567890"}})
    second = submit(**_later_report_by({"phone": typed}, now))
    found = duplicates.for_complaint(second)
    assert [m.tracking_number for m in found] == [first.tracking_number]
    assert "the same reporter" in found[0].reasons or "pelapor yang sama" in found[0].reasons
    assert duplicates.same_reporter_ids(phone=typed) == {first.pk, second.pk}
    assert duplicates.same_reporter_ids(phone="nomor saya") == set()  # unreadable: as written, no error


def test_the_same_reporter_whatever_the_case_of_the_address(submit):
    now = timezone.now()
    first = submit(now=now, **{**PIPE, "reporter": {"name": "Sari", "email": "Sari.Dewi@Example.com"}})
    second = submit(**_later_report_by({"email": "sari.dewi@example.com"}, now))
    assert [m.tracking_number for m in duplicates.for_complaint(second)] == [first.tracking_number]


def test_an_anonim_report_is_never_the_same_reporter_however_the_number_is_written(submit):
    now = timezone.now()
    hidden = submit(now=now, is_anonymous=True, **{**PIPE, "reporter": {"name": "", "phone": "081234567890"}})
    for typed in ("081234567890", "+6281234567890", "6281234567890"):
        second = submit(**_later_report_by({"phone": typed}, now))
        assert hidden.pk not in duplicates.same_reporter_ids(phone=typed)
        assert hidden.tracking_number not in {m.tracking_number for m in duplicates.for_complaint(second)}


def test_old_and_merged_reports_are_not_candidates(submit, act):
    # All three have the same text, place and reporter: only age and the merge keep two of them out.
    now = timezone.now()
    submit(now=now - dt.timedelta(days=90), **PIPE)
    original = submit(now=now, **PIPE)
    merged = submit(now=now, **PIPE)
    act(merged, "merge", target=original)
    found = duplicates.find(PIPE["title"], PIPE["body"], phone="081234567890")
    assert [m.tracking_number for m in found] == [original.tracking_number]
    assert "pelapor yang sama" in found[0].reasons or "the same reporter" in found[0].reasons


def test_the_check_reads_a_bounded_number_of_rows(submit, django_assert_max_num_queries):
    original = submit(now=timezone.now(), **PIPE)
    with django_assert_max_num_queries(3):
        duplicates.find(PIPE["title"], PIPE["body"], service_id=original.service_id, phone="081234567890")


def test_citizen_sees_public_duplicates_before_filing(client, submit, act):
    original = submit(now=timezone.now(), **PIPE)
    form = {**PIPE, "type": "pengaduan", "area": "15.71.08.1004", "idempotency_key": "dup-test-0001"}
    # not yet verified: not public, so not shown (and the report is simply filed)
    response = client.post("/lapor/", {**form, "idempotency_key": "dup-test-0000"})
    assert response.status_code == 302
    act(original, "verify")
    before = Complaint.objects.count()
    page = client.post("/lapor/", form)
    assert page.status_code == 200 and Complaint.objects.count() == before
    html = page.content.decode()
    assert 'id="duplicates"' in html and original.tracking_number in html and 'name="confirm_new"' in html
    assert client.post("/lapor/", {**form, "confirm_new": "1"}).status_code == 302
    assert Complaint.objects.count() == before + 1


def test_secret_reports_are_never_shown_to_other_citizens(client, submit, act):
    original = submit(now=timezone.now(), is_secret=True, **PIPE)
    act(original, "verify")
    form = {**PIPE, "type": "pengaduan", "area": "15.71.08.1004", "idempotency_key": "dup-test-0002"}
    response = client.post("/lapor/", form)
    assert response.status_code == 302  # filed at once: nothing to show


def test_admin_merges_and_the_duplicates_reporter_follows_the_original(client, users, submit, act):
    now = timezone.now()
    original = submit(now=now, **PIPE)
    dup = submit(now=now, **{**PIPE, "reporter": {"name": "Sari", "email": "sari@example.com"}})
    client.force_login(users["admin"])
    page = client.get(f"/kantor/laporan/{dup.tracking_number}/").content.decode()
    assert 'id="duplicates"' in page and original.tracking_number in page
    response = client.post(
        f"/kantor/laporan/{dup.tracking_number}/aksi/",
        {"action": "merge", "version": dup.version, "target": original.tracking_number},
    )
    assert response.status_code == 302
    dup.refresh_from_db()
    assert dup.status == "merged" and dup.merged_into_id == original.pk
    act(original, "verify")
    staff_only = act(original, "add_followup", message="Catatan internal.", internal=True).event
    done = act(original, "complete_followup", message="Pipa sudah diperbaiki.").event
    notify_reporter(done)
    assert Notification.objects.filter(event=done, to="sari@example.com").exists()
    # staff-only notes reach nobody
    notify_reporter(staff_only)
    assert not Notification.objects.filter(event=staff_only).exists()
