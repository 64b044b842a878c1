"""The complaint desk: an officer records a walk-in, phone, letter, e-mail or social-media complaint through
the same submission door, with deadlines from the day it was received, and hands over a receipt."""

import csv
import io
import json
import re
import zlib

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from sikesal.accounts.roles import Role
from sikesal.backoffice.models import AuditEntry
from sikesal.complaints import lifecycle, policy
from sikesal.complaints.errors import NotAllowed
from sikesal.complaints.models import Complaint, DeskIntake
from sikesal.complaints.policy import Actor
from sikesal.complaints.states import Status
from tests.browser_steps import photo
from tests.conftest import T0, make_user, wib

DESK = reverse("backoffice:desk")


@pytest.fixture
def officer(catalogue):
    return make_user("loket", Role.DESK_OFFICER)


def desk_form(**overrides):
    form = {
        "channel": "walk_in",
        "received_date": "2026-10-29",  # Thursday: two working days before Monday 2 November (T0)
        "received_time": "10:00",
        "type": "pengaduan",
        "service": "jalan-rusak",
        "area": "15.71.08.1004",
        "title": "Jalan berlubang di depan Pasar Angso Duo",
        "body": "Lubang besar di tengah jalan dekat pintu masuk pasar, sudah seminggu, dua motor jatuh kemarin.",
        "name": "Siti Aminah",
        "phone": "0812-3456-7891",
        "email": "siti@example.com",
        "contact_check": "id_seen",
        "idempotency_key": "desk-form-0001",
    }
    form.update(overrides)
    return form


# Reports about something else than desk_form()'s hole in the road: no likely duplicate of it.
STREET_LIGHT = {
    "service": "lampu-jalan",
    "title": "Lampu jalan mati di Jl. Sultan Agung",
    "body": "Tiga lampu penerangan jalan mati sejak dua minggu, gelap sekali pada malam hari.",
}
DRAIN = {
    "service": "banjir",
    "title": "Surat tentang parit tersumbat",
    "body": "Parit di samping kantor lurah tersumbat sampah, air meluap ke halaman rumah warga.",
}


def record(client, **overrides):
    response = client.post(DESK, desk_form(**overrides))
    assert response.status_code == 302, response.content.decode()[:2000]
    return Complaint.objects.get(tracking_number=response["Location"].rstrip("/").rsplit("/", 1)[1])


@pytest.mark.django_db
def test_walk_in_received_two_working_days_ago_counts_its_deadlines_from_then(client, clock, officer, users):
    client.force_login(officer)
    c = record(client)
    assert c.channel == "walk_in" and c.submitted_at == wib(2026, 10, 29, 10, 0)
    # 3 working days after Thursday 29 October: Fri 30, Mon 2, Tue 3 November (from typing: Thu 5 November).
    assert c.verify_due_at == wib(2026, 11, 3, 23, 59, 59)
    event = c.events.get()
    assert (event.action, event.created_at, event.actor, event.actor_label) == ("submit", T0, officer, "loket")
    assert c.desk_intake.recorded_by == officer and c.desk_intake.contact_check == "id_seen"
    # The report belongs to the citizen, not to the officer's account.
    assert c.reporter.user is None and (c.reporter.name, c.reporter.phone) == ("Siti Aminah", "081234567891")
    audit = AuditEntry.objects.get(kind=AuditEntry.Kind.DESK_RECORD)
    assert audit.user == officer and audit.complaint == c and audit.detail["channel"] == "walk_in"
    # The admin's staff timeline names the officer who recorded it.
    client.force_login(users["admin"])
    page = client.get(reverse("backoffice:report", args=[c.tracking_number])).content.decode()
    assert "loket" in page


@pytest.mark.django_db
def test_the_same_form_sent_twice_files_one_report(client, clock, officer):
    client.force_login(officer)
    first, again = record(client), record(client)
    assert first == again and Complaint.objects.count() == 1 and AuditEntry.objects.count() == 1


@pytest.mark.django_db
def test_an_anonymous_letter_scan_is_staff_only_and_the_opd_never_sees_the_writer(
    client, clock, officer, users, act, tmp_path
):
    client.force_login(officer)
    with open(photo(tmp_path, "surat.jpg"), "rb") as scan:
        c = record(client, channel="letter", is_anonymous="1", letter=scan, nik="1571010101900001")
    letter = c.desk_intake.letter
    assert c.is_anonymous and letter.visibility == "staff" and letter.kind == "photo" and c.reporter.nik
    act(c, "verify")  # to Dinas PUPR
    client.force_login(users["liaison"])
    page = client.get(reverse("backoffice:report", args=[c.tracking_number])).content.decode()
    assert "Siti Aminah" not in page and "081234567891" not in page
    assert client.get(reverse("portal:attachment", args=[letter.token])).status_code == 404
    # Nor the public, nor the citizen's private link: the scan is the office's record.
    client.logout()
    assert client.get(reverse("portal:attachment", args=[letter.token])).status_code == 404


@pytest.mark.django_db
def test_an_anonim_letter_scan_opens_for_the_admin_only_after_an_audited_reveal_and_only_for_them(
    client, clock, officer, users, tmp_path
):
    client.force_login(officer)
    with open(photo(tmp_path, "surat.jpg"), "rb") as scan:
        c = record(client, channel="letter", is_anonymous="1", letter=scan)
    letter = c.desk_intake.letter
    client.force_login(users["admin"])
    report = reverse("backoffice:report", args=[c.tracking_number])
    assert client.get(reverse("portal:attachment", args=[letter.token])).status_code == 404
    assert "?r=" not in client.get(report).content.decode()  # before the reveal: no grant on the page
    page = client.post(reverse("backoffice:reveal", args=[c.tracking_number]), {"reason": "Pemeriksaan Ombudsman"})
    assert "Siti Aminah" in page.content.decode()
    assert AuditEntry.objects.filter(kind=AuditEntry.Kind.REVEAL_ANONYMOUS, complaint=c).exists()
    (href,) = set(re.findall(r'href="(/lampiran/[^"]+\?r=[^"]+)"', page.content.decode()))
    assert client.get(href.replace("&amp;", "&")).status_code == 200
    # The grant is the admin's alone, and for the question at hand.
    other = make_user("admin2", Role.ADMIN)
    client.force_login(other)
    assert client.get(href).status_code == 404
    client.force_login(users["admin"])
    clock.shift(11 * 60)
    assert client.get(href).status_code == 404


@pytest.mark.django_db
def test_a_social_media_report_keeps_its_link(client, clock, officer):
    client.force_login(officer)
    c = record(client, channel="social_media", post_url="https://www.instagram.com/p/C8xYz12AbCd/", email="")
    assert c.channel == "social_media" and c.desk_intake.post_url == "https://www.instagram.com/p/C8xYz12AbCd/"


@pytest.mark.django_db(transaction=True)
def test_the_citizens_email_and_phone_receive_the_receipt(client, officer, settings, tmp_path):
    settings.DATA_DIR = tmp_path  # SMS to the outbox file (no gateway configured)
    client.force_login(officer)
    received = timezone.localtime() - timezone.timedelta(hours=2)
    c = record(client, channel="phone", received_date=received.date().isoformat(), received_time=f"{received:%H:%M}")
    call_command("worker", batch=True, no_scheduler=True, interval=0)
    assert [m.to for m in mail.outbox] == [["siti@example.com"]] and c.tracking_number in mail.outbox[0].body
    sms = [json.loads(line) for line in (tmp_path / "outbox" / "sms.jsonl").read_text().splitlines()]
    assert [(m["to"], c.tracking_number in m["message"]) for m in sms] == [("+6281234567891", True)]


def pdf_text(content):
    """The text of every (Flate-compressed or plain) content stream of a PDF."""
    chunks = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        try:
            chunks.append(zlib.decompress(stream))
        except zlib.error:
            chunks.append(stream)
    return b"".join(chunks).decode("latin-1")


@pytest.mark.django_db
def test_the_receipt_carries_the_number_and_the_private_link_only_right_after_filing(client, clock, officer):
    client.force_login(officer)
    first = record(client)
    page = client.get(reverse("backoffice:desk_receipt", args=[first.tracking_number])).content.decode()
    link = re.search(r'id="private-link" href="([^"]+)"', page).group(1)
    assert "<svg" in page and first.check_secret(link.rstrip("/").rsplit("/", 1)[1])
    pdf = client.get(reverse("backoffice:desk_receipt_pdf", args=[first.tracking_number]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    text = pdf_text(pdf.content)
    assert first.tracking_number in text and link in text and "/Subtype /Image" in pdf.content.decode("latin-1")
    # The next report recorded: the first one's receipt can be printed again, without its private link.
    second = record(client, idempotency_key="desk-form-0002", **STREET_LIGHT)
    again = client.get(reverse("backoffice:desk_receipt", args=[first.tracking_number])).content.decode()
    assert first.tracking_number in again and 'id="no-private-link"' in again and 'id="private-link"' not in again
    assert link not in pdf_text(
        client.get(reverse("backoffice:desk_receipt_pdf", args=[first.tracking_number])).content
    )
    assert second.tracking_number in client.get(DESK).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field_error"),
    [
        ({"received_date": "2026-11-03"}, "tidak boleh di masa depan"),
        ({"received_date": "2026-08-01"}, "lebih dari 30 hari"),
        ({"channel": "social_media", "post_url": "javascript:alert(1)"}, "http:// atau https://"),
        ({"channel": "social_media", "post_url": ""}, "tautan unggahan media sosial"),
        ({"body": "Jalan rusak."}, "minimal"),
        ({"contact_check": ""}, "kontak warga diperiksa"),
    ],
)
def test_bad_input_is_refused_in_indonesian_and_files_nothing(client, clock, officer, overrides, field_error):
    client.force_login(officer)
    response = client.post(DESK, desk_form(**overrides))
    page = response.content.decode()
    assert response.status_code == 400 and field_error in page and "ada kesalahan; tidak ada yang tersimpan" in page
    assert not Complaint.objects.exists() and not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_only_the_admin_and_desk_officers_record_and_a_desk_officer_reads_only_its_receipts(
    client, clock, officer, users, submit
):
    assert client.get(DESK)["Location"].startswith(reverse("backoffice:login"))
    for name in ("liaison", "citizen", "executive"):
        client.force_login(users[name])
        assert client.get(DESK).status_code == 403 and client.post(DESK, desk_form()).status_code == 403
    assert not Complaint.objects.exists()
    client.force_login(users["admin"])
    by_admin = record(client)
    web = submit()  # filed on the web: no receipt here
    client.force_login(officer)
    assert client.get(reverse("backoffice:inbox"))["Location"] == DESK
    for c in (by_admin, web):
        assert client.get(reverse("backoffice:desk_receipt", args=[c.tracking_number])).status_code == 404
        assert client.get(reverse("backoffice:report", args=[c.tracking_number])).status_code == 404
    client.force_login(users["admin"])
    assert client.get(reverse("backoffice:desk_receipt", args=[by_admin.tracking_number])).status_code == 200


@pytest.mark.django_db
def test_a_desk_officer_cannot_verify(client, clock, officer, users):
    client.force_login(officer)
    c = record(client)
    actor = Actor.for_user(officer)
    assert not policy.may(actor, "verify", c) and not policy.can_view(actor, c)
    with pytest.raises(NotAllowed):
        lifecycle.transition(c, "verify", actor, institution=users["liaison"].institution_id)
    response = client.post(reverse("backoffice:action", args=[c.tracking_number]), {"action": "verify"})
    c.refresh_from_db()
    assert response.status_code == 404 and c.status == Status.RECEIVED


@pytest.mark.django_db
def test_statistics_and_the_export_count_reports_per_channel(client, clock, officer, users, submit):
    from sikesal.portal import statistics

    client.force_login(officer)
    record(client)
    record(client, channel="letter", idempotency_key="desk-form-0002", **DRAIN)
    submit()
    by_channel = {r["key"]: (r["label"], r["n"]) for r in statistics.compute()["by_channel"]}
    assert by_channel == {"walk_in": ("Datang langsung", 1), "letter": ("Surat", 1), "web": ("Situs web", 1)}
    page = client.get(reverse("portal:stats")).content.decode()
    assert "Menurut kanal" in page and "Surat" in page
    client.force_login(users["admin"])
    export = client.get(reverse("backoffice:export") + "?antrian=semua")
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode().lstrip("\ufeff"))))
    assert sorted(r["kanal"] for r in rows) == ["letter", "walk_in", "web"]


# --- The duplicate check before filing ---------------------------------------------------------------------

DUPLICATE_BOX = "Mungkin sudah pernah dilaporkan"


def duplicate_box(page):
    """The text of the likely-duplicates box, or "" when the page has none."""
    found = re.search(r'<div class="card" role="alert" id="duplicates".*?</div>', page, re.S)
    return found.group(0) if found else ""


@pytest.mark.django_db
def test_a_likely_duplicate_stops_the_first_post_keeps_everything_and_record_as_new_files_it(
    client, clock, officer, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(officer)
    client.get(DESK)  # the form sets this browser's CSRF cookie, to which its kept files are bound
    first = record(client)
    form = desk_form(idempotency_key="desk-form-0002", channel="letter", name="Rahmat", phone="0813-1111-2222")
    with open(photo(tmp_path, "lubang.jpg"), "rb") as picture, open(photo(tmp_path, "surat.jpg"), "rb") as scan:
        response = client.post(DESK, {**form, "attachments": picture, "letter": scan})
    page = response.content.decode()
    box = duplicate_box(page)
    # Nothing filed: no report, no desk record, no audit entry.
    assert response.status_code == 200 and Complaint.objects.count() == 1
    assert DeskIntake.objects.count() == 1 and AuditEntry.objects.count() == 1
    # The match, in Indonesian: its number (a desk officer opens the public tracking page, not the report page),
    # title, status and why it looks the same; and the two ways on.
    assert DUPLICATE_BOX in box and "Belum ada yang disimpan" in box
    assert f'<a href="/lacak/{first.tracking_number}/">{first.tracking_number}</a>' in box
    assert first.title in box and "Diterima, menunggu verifikasi" in box and "teks mirip" in box
    assert 'name="confirm_new" value="1"' in box and "Catat sebagai laporan baru" in box
    # Every value kept, and the files too (a browser cannot refill a file input).
    for value in ('value="Rahmat"', 'value="0813-1111-2222"', 'value="letter" checked', f'value="{first.title}"'):
        assert value in page, value
    assert "lubang.jpg" in page and "surat.jpg" in page and "Sudah terlampir" in page
    kept = dict(re.findall(r'name="(staged|staged_letter)" value="([^"]+)"', page))
    assert kept.keys() == {"staged", "staged_letter"}
    # "Catat sebagai laporan baru": the same form with confirm_new=1 files it, with its files.
    response = client.post(DESK, {**form, **kept, "confirm_new": "1"})
    assert response.status_code == 302 and Complaint.objects.count() == 2
    second = Complaint.objects.exclude(pk=first.pk).get()
    assert second.reporter.name == "Rahmat" and second.desk_intake.letter.visibility == "staff"
    assert second.attachments.exclude(pk=second.desk_intake.letter_id).count() == 1


@pytest.mark.django_db
def test_a_report_about_something_else_is_filed_at_once(client, clock, officer):
    client.force_login(officer)
    record(client)
    response = client.post(DESK, desk_form(idempotency_key="desk-form-0002", **STREET_LIGHT))
    assert response.status_code == 302 and Complaint.objects.count() == 2


@pytest.mark.django_db
def test_a_repeated_post_of_a_filed_form_replays_and_is_not_stopped(client, clock, officer):
    client.force_login(officer)
    first = record(client)
    second = record(client, idempotency_key="desk-form-0002", confirm_new="1")
    # The browser sends the duplicate step's form again (back button, a lost answer): without confirm_new,
    # though two likely duplicates now exist, it is the report already filed.
    again = client.post(DESK, desk_form(idempotency_key="desk-form-0002"))
    assert again.status_code == 302 and again["Location"].endswith(f"/{second.tracking_number}/")
    assert Complaint.objects.count() == 2 and {first, second} == set(Complaint.objects.all())


@pytest.mark.django_db
def test_a_desk_officer_is_shown_only_public_reports_and_their_own_the_admin_every_one(
    client, clock, officer, users, submit, act
):
    # Filed on the web, the same problem: unverified, so not public.
    web = submit(title="Jalan berlubang di depan Pasar Angso Duo", area="15.71.08.1004")
    client.force_login(officer)
    assert client.post(DESK, desk_form()).status_code == 302  # nothing the desk officer may see matched
    client.force_login(users["admin"])
    page = client.post(DESK, desk_form(idempotency_key="desk-form-0002")).content.decode()
    # The admin reads every report: the match opens the back office's report page.
    assert f'<a href="/kantor/laporan/{web.tracking_number}/">{web.tracking_number}</a>' in duplicate_box(page)
    # Verified, it is public: the desk officer sees it too, on the public tracking page; rahasia, not.
    act(web, "verify")
    client.force_login(officer)
    page = client.post(DESK, desk_form(idempotency_key="desk-form-0003")).content.decode()
    assert f'<a href="/lacak/{web.tracking_number}/">{web.tracking_number}</a>' in duplicate_box(page)
    Complaint.objects.filter(pk=web.pk).update(is_secret=True)
    page = client.post(DESK, desk_form(idempotency_key="desk-form-0003")).content.decode()
    assert web.tracking_number not in page
    assert policy.desk_duplicate_candidates(Actor.for_user(users["liaison"]), Complaint.objects.all()).count() == 0


@pytest.mark.django_db
def test_the_same_reporter_is_named_only_to_the_admin_and_never_for_an_anonim_report(
    client, clock, officer, users, submit, act
):
    # Two reports from the citizen now at the desk, about parking at the same market: only "the same
    # reporter" links them to the road hole (another service, another kelurahan, related text).
    earlier = {
        "service": "parkir-liar",
        "area": "15.71.01.1001",
        "title": "Parkir liar di depan Pasar Angso Duo",
        "body": "Juru parkir liar memungut bayaran di pintu masuk pasar, kendaraan memenuhi jalan.",
        "latitude": None,
        "longitude": None,
        "reporter": {"name": "Siti Aminah", "phone": "081234567891", "email": "siti@example.com"},
    }
    named = submit(**earlier)
    anonim = submit(**earlier, is_anonymous=True)
    act(named, "verify")
    act(anonim, "verify")  # both public: a desk officer could see them, just not who filed them
    client.force_login(users["admin"])
    box = duplicate_box(client.post(DESK, desk_form()).content.decode())
    assert named.tracking_number in box and "pelapor yang sama" in box
    assert anonim.tracking_number not in box  # "the same reporter" beside it would say who filed it
    client.force_login(officer)
    response = client.post(DESK, desk_form(idempotency_key="desk-form-0002"))
    assert response.status_code == 302  # a desk officer reads no identity: no match by contact
    assert policy.desk_matches_by_contact(Actor.for_user(users["admin"]))
    assert not policy.desk_matches_by_contact(Actor.for_user(officer))
