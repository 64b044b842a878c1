"""Creates whose outcome is unknown (issue #29): found by every path, released when found, counted as
unknown where they cannot be seen, and settled by the admin with a checked link or a confirmed resend."""

import pytest
from django.utils import timezone

from sikesal.backoffice.models import AuditEntry
from sikesal.integrations.lapor import mapping, masters, pull
from sikesal.integrations.lapor.models import Link, Outbox, Parked
from sikesal.integrations.lapor.reconcile import reconcile
from tests.lapor.test_day_one import copies_of
from tests.lapor.test_sync import drain

PAGE = "/kantor/sinkronisasi-lapor/"


@pytest.fixture
def synced(sim, catalogue):
    masters.sync_masters()
    return sim


def now_due():
    Outbox.objects.update(next_attempt_at=timezone.now())


def held_create(sim, complaint, *, landed):
    """Send `complaint` with no list to look in and its answer lost: the create lands on SP4N-LAPOR!
    (a 500 after committing) or not (the connection dropped before it). Returns its held row."""
    sim.post("/__sim/endpoints", {"disabled": ["list"]})
    if landed:
        sim.faults(commit_500_rate=1.0, paths=["/complaints/complaint"])
    else:
        sim.faults(drop_rate=1.0, paths=["/complaints/complaint"])
    drain()
    sim.faults()
    now_due()
    drain()
    row = Outbox.objects.get(complaint=complaint, kind="create")
    assert row.status == "parked" and row.state["held"] == "unknown_outcome"
    return row


def file_on_lapor(sim, title, content, tags=""):
    """A report filed straight on SP4N-LAPOR! to the city (no ticket line unless `content` has one)."""
    body = {
        "title": title,
        "content": content,
        "channel": 13,
        "disposition_id": mapping.city_institution_id(),
        "tags_raw": tags,
        "attachments": False,
    }
    response = sim.api("POST", "/complaints/complaint", json=body)
    assert response.status_code == 200, response.text
    return response.json()["complaint_id"]


def with_a_followup_behind(complaint, act):
    act(complaint, "verify")
    act(complaint, "add_followup", message="Petugas sudah meninjau lokasi.")
    drain()
    return Outbox.objects.filter(complaint=complaint).exclude(kind="create")


def test_without_a_list_reconcile_says_unknown_never_zero_and_the_page_shows_it_red(client, users, synced, submit, act):
    complaint = submit()
    held_create(synced, complaint, landed=True)
    synced.citizens(2, backdate=False)  # filed on SP4N-LAPOR!: with no list SIKESAL cannot know them
    report = reconcile()
    assert report["missing_local"] is None and report["duplicates_remote"] is None
    assert report["unknown_outcome_creates"] == 1 and report["parked"] == 1 and report["missing_remote"] == 1
    client.force_login(users["admin"])
    page = client.get(PAGE).content.decode()
    row = page[page.index(">missing_local<") :][:200]
    assert "tidak diketahui" in row and 'class="warn"' in page[page.index('id="lapor-reconcile"') :]


def test_a_held_create_the_pull_finds_releases_what_waited_behind_it(synced, submit, act):
    complaint = submit()
    held_create(synced, complaint, landed=True)
    behind = with_a_followup_behind(complaint, act)
    assert behind.count() == 2 and not behind.exclude(status="pending").exists()  # blocked behind the create
    synced.post("/__sim/endpoints", {"disabled": []})  # the list is back
    pull.pull()  # finds it by its ticket line
    row = Outbox.objects.get(complaint=complaint, kind="create")
    assert row.status == "done" and row.state["linked_by"] == "pull"
    now_due()
    drain()
    assert set(behind.values_list("status", flat=True)) == {"done"}
    assert len(copies_of(synced, complaint)) == 1
    report = reconcile()
    assert report["parked"] == 0 and report["unknown_outcome_creates"] == 0 and report["duplicates_remote"] == 0


def test_once_the_list_answers_a_held_create_that_never_arrived_is_sent_by_itself(synced, submit):
    complaint = submit()
    held_create(synced, complaint, landed=False)
    assert copies_of(synced, complaint) == []
    synced.post("/__sim/endpoints", {"disabled": []})
    pull.pull()
    drain()  # looked for in the list, not there: sent, once
    assert Outbox.objects.get(complaint=complaint, kind="create").status == "done"
    assert len(copies_of(synced, complaint)) == 1
    assert reconcile()["unknown_outcome_creates"] == 0


def test_the_admin_links_a_held_create_to_its_number_and_a_wrong_number_is_refused(client, users, synced, submit, act):
    other = submit(title="Sampah menumpuk di pasar")
    drain()
    other.refresh_from_db()
    complaint = submit()
    row = held_create(synced, complaint, landed=True)
    behind = with_a_followup_behind(complaint, act)
    [copy] = copies_of(synced, complaint)
    client.force_login(users["admin"])
    page = client.get(PAGE).content.decode()
    assert "Tautkan ke nomor SP4N-LAPOR! ini" in page and "2 perubahan menunggu" in page

    wrong = client.post(PAGE, {"do": "link", "row": row.pk, "remote_id": other.lapor_complaint_id}, follow=True)
    assert "sudah ditautkan ke" in wrong.content.decode()  # another report's twin
    unseen = client.post(PAGE, {"do": "link", "row": row.pk, "remote_id": "99999999"}, follow=True)
    assert "tidak memiliki laporan 99999999" in unseen.content.decode()
    stranger = file_on_lapor(synced, "Air PDAM mati", "Sudah tiga hari air tidak mengalir di RT 05.")
    refused = client.post(PAGE, {"do": "link", "row": row.pk, "remote_id": stranger}, follow=True)
    assert "berbeda dari" in refused.content.decode() and not Link.objects.filter(complaint=complaint).exists()

    done = client.post(PAGE, {"do": "link", "row": row.pk, "remote_id": copy["id"]}, follow=True)
    assert "ditautkan ke laporan SP4N-LAPOR!" in done.content.decode()
    assert Link.objects.get(complaint=complaint).remote_id == str(copy["id"])
    audit = AuditEntry.objects.get(kind="lapor_link")
    assert audit.user == users["admin"] and audit.complaint == complaint and audit.detail["content_checked"]
    now_due()
    drain()
    assert set(behind.values_list("status", flat=True)) == {"done"}
    assert len(copies_of(synced, complaint)) == 1
    assert reconcile()["parked"] == 0


def test_send_again_only_after_a_confirm_step_that_names_the_risk(client, users, synced, submit):
    complaint = submit()
    row = held_create(synced, complaint, landed=False)
    client.force_login(users["admin"])
    warned = client.post(PAGE, {"do": "resend", "row": row.pk}, follow=True).content.decode()
    assert "salinan kedua" in warned  # the risk, named
    row.refresh_from_db()
    assert row.status == "parked" and not AuditEntry.objects.filter(kind="lapor_resend").exists()
    client.post(PAGE, {"do": "resend", "row": row.pk, "confirm": "yes"})
    drain()
    assert Outbox.objects.get(pk=row.pk).status == "done" and len(copies_of(synced, complaint)) == 1
    assert AuditEntry.objects.get(kind="lapor_resend").user == users["admin"]


def test_only_the_admin_may_settle_a_held_create(client, users, synced, submit):
    complaint = submit()
    row = held_create(synced, complaint, landed=True)
    client.force_login(users["liaison"])
    assert client.post(PAGE, {"do": "resend", "row": row.pk, "confirm": "yes"}).status_code == 403
    assert Outbox.objects.get(pk=row.pk).status == "parked"


def test_a_second_copy_is_found_by_its_text_when_tags_are_dropped_and_flagged_not_applied(synced, submit):
    complaint = submit()
    drain()
    [copy] = copies_of(synced, complaint)
    # A create that committed after we had looked and sent again: a second copy with our ticket line;
    # this service keeps no tags.
    file_on_lapor(synced, copy["title"], copy["content"])
    pull.pull()
    assert Link.objects.get(complaint=complaint).remote_id == str(copy["id"])  # the first copy stays
    assert Parked.objects.filter(resolved_at__isnull=True, reason__contains="salinan ganda").count() == 1
    pull.pull()  # read again: one entry for the person, not one a run
    assert Parked.objects.filter(resolved_at__isnull=True, reason__contains="salinan ganda").count() == 1
    # a third copy that lost the ticket line too: known by its title and text
    file_on_lapor(synced, complaint.title, complaint.body)
    # while two citizens writing the same words on SP4N-LAPOR! are two reports there, not our double
    for _ in range(2):
        file_on_lapor(synced, "Air PDAM mati", "Sudah tiga hari air tidak mengalir di RT 05.")
    assert reconcile()["duplicates_remote"] == 2


@pytest.mark.parametrize("omit", [["updated_at"], ["title", "content"], ["followup_count", "disposition_id"]])
def test_a_copy_without_the_fields_sikesal_used_to_require_is_not_parked(synced, submit, act, omit):
    complaint = submit()
    drain()
    synced.post("/__sim/shape", {"omit": omit})
    rid = int(copies_of(synced, complaint)[0]["id"])
    synced.post(f"/__sim/complaint/{rid}", {"followup": {"content": "Kapan diperbaiki?", "from": "reporter"}})
    file_on_lapor(synced, "Lampu jalan mati", "Lampu jalan di depan sekolah mati sejak kemarin malam.")
    pull.pull()
    assert not Parked.objects.exists()
    assert complaint.events.filter(action="lapor_mirror").exists()  # the reporter's words came in
    assert Link.objects.count() == 2


def test_a_create_waits_for_the_admins_check_of_the_flags(synced, submit, act, settings):
    settings.LAPOR_FLAGS_HOLD_SECONDS = 3600
    complaint = submit()
    drain()
    assert copies_of(synced, complaint) == []  # held: anonim/rahasia cannot be changed there later
    act(complaint, "set_flags", is_secret=True, is_anonymous=True)
    act(complaint, "verify")  # the admin's check: the flags are final
    drain()
    [copy] = copies_of(synced, complaint)
    assert copy["is_secret"] and copy["is_anonymous"]
    assert reconcile()["flag_mismatch"] == 0
