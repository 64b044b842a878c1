"""Back office: queues, OPD isolation, identity with audited reveal, action forms, conflicts, export."""

import csv
import io
import re

import pytest
from django.urls import reverse

from sikesal.backoffice.models import AuditEntry
from sikesal.complaints.models import Complaint
from sikesal.complaints.states import Status


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login


def inbox_numbers(client, queue):
    html = client.get(reverse("backoffice:inbox") + f"?antrian={queue}").content.decode()
    return {c.tracking_number for c in Complaint.objects.all() if c.tracking_number in html}


def test_login_required_and_citizens_refused(client, users):
    assert client.get(reverse("backoffice:inbox"))["Location"].startswith(reverse("backoffice:login"))
    client.force_login(users["citizen"])
    assert client.get(reverse("backoffice:inbox")).status_code == 403


def test_admin_queues(login, users, in_state):
    new, pending, returned, dispo = (in_state(s) for s in ("received", "pending_info", "returned", "dispositioned"))
    client = login(users["admin"])
    assert inbox_numbers(client, "baru") == {new.tracking_number}
    assert inbox_numbers(client, "menunggu-info") == {pending.tracking_number}
    assert inbox_numbers(client, "dikembalikan") == {returned.tracking_number}
    assert {new.tracking_number, dispo.tracking_number} <= inbox_numbers(client, "semua")


def test_overdue_queue(login, users, submit):
    late = submit()  # submitted on 2 Nov 2026: long overdue for verification by now
    client = login(users["admin"])
    assert late.tracking_number in inbox_numbers(client, "terlambat")


def test_opd_sees_only_its_reports(login, users, in_state, act, other_opd):
    ours = in_state("dispositioned")
    theirs = in_state("received")
    act(theirs, "verify", institution=other_opd.pk)
    client = login(users["liaison"])
    assert inbox_numbers(client, "semua") == {ours.tracking_number}
    assert client.get(reverse("backoffice:report", args=[theirs.tracking_number])).status_code == 404
    assert client.get(reverse("backoffice:report", args=[ours.tracking_number])).status_code == 200
    export = client.get(reverse("backoffice:export") + "?antrian=semua")
    body = b"".join(export.streaming_content).decode()
    assert ours.tracking_number in body and theirs.tracking_number not in body


def test_opd_never_sees_anonymous_identity(login, users, in_state):
    c = in_state("dispositioned")
    Complaint.objects.filter(pk=c.pk).update(is_anonymous=True)
    html = login(users["liaison"]).get(reverse("backoffice:report", args=[c.tracking_number])).content.decode()
    assert "Budi" not in html and "081234567890" not in html


def test_admin_reveals_anonymous_identity_with_reason_and_it_is_audited(login, users, in_state):
    c = in_state("received")
    Complaint.objects.filter(pk=c.pk).update(is_anonymous=True)
    client = login(users["admin"])
    url = reverse("backoffice:report", args=[c.tracking_number])
    assert "Budi" not in client.get(url).content.decode()
    short = client.post(reverse("backoffice:reveal", args=[c.tracking_number]), {"reason": "cek"})
    assert short.status_code == 302 and not AuditEntry.objects.exists()
    revealed = client.post(
        reverse("backoffice:reveal", args=[c.tracking_number]), {"reason": "Konfirmasi lokasi lewat telepon"}
    )
    assert "Budi" in revealed.content.decode()
    entry = AuditEntry.objects.get()
    assert entry.kind == "reveal_anonymous" and entry.user == users["admin"] and entry.complaint == c
    assert "Budi" not in client.get(url).content.decode()  # a reveal is for that one view


def test_opd_cannot_reveal(login, users, in_state):
    c = in_state("dispositioned")
    Complaint.objects.filter(pk=c.pk).update(is_anonymous=True)
    response = login(users["liaison"]).post(
        reverse("backoffice:reveal", args=[c.tracking_number]), {"reason": "ingin tahu siapa pelapornya"}
    )
    assert response.status_code == 403 and not AuditEntry.objects.exists()


def test_viewing_a_named_reporter_is_audited(login, users, in_state):
    c = in_state("dispositioned")
    html = login(users["liaison"]).get(reverse("backoffice:report", args=[c.tracking_number])).content.decode()
    assert "Budi Santoso" in html
    assert AuditEntry.objects.filter(kind="view_identity", user=users["liaison"], complaint=c).count() == 1


def post_action(client, c, action, **data):
    c.refresh_from_db()
    return client.post(
        reverse("backoffice:action", args=[c.tracking_number]),
        {"action": action, "version": c.version, **data},
        follow=True,
    )


def test_verify_form_valid_and_invalid(login, users, in_state, opd, external):
    c = in_state("received")
    client = login(users["admin"])
    bad = post_action(client, c, "verify", institution=external.pk)
    assert '<li class="error">' in bad.content.decode()
    c.refresh_from_db()
    assert c.status == Status.RECEIVED
    post_action(client, c, "verify", institution=opd.pk, is_secret="1", note="Segera.")
    c.refresh_from_db()
    assert c.status == Status.DISPOSITIONED and c.institution == opd and c.is_secret


def test_opd_workflow_through_forms(login, users, in_state):
    c = in_state("dispositioned")
    client = login(users["liaison"])
    post_action(client, c, "start")
    post_action(client, c, "add_followup", message="Catatan internal.", internal="1")
    post_action(client, c, "complete_followup", message="Sudah diperbaiki.")
    c.refresh_from_db()
    assert c.status == Status.FOLLOWED_UP
    assert c.events.filter(action="add_followup", visibility="staff").count() == 1


def test_refused_action_shows_a_message_and_changes_nothing(login, users, in_state):
    c = in_state("received")
    response = post_action(login(users["admin"]), c, "archive", reason="unclear")  # no explanation
    assert response.status_code == 200
    c.refresh_from_db()
    assert c.status == Status.RECEIVED
    assert '<li class="error">' in response.content.decode()


def test_second_officer_gets_a_conflict(login, users, in_state, opd, other_opd):
    c = in_state("received")
    stale_version = c.version
    admin = login(users["admin"])
    post_action(admin, c, "verify", institution=opd.pk)
    response = admin.post(
        reverse("backoffice:action", args=[c.tracking_number]),
        {"action": "verify", "version": stale_version, "institution": other_opd.pk},
        follow=True,
    )
    c.refresh_from_db()
    assert c.institution == opd and c.events.filter(action="verify").count() == 1
    assert '<li class="error">' in response.content.decode()


def export(client, role_params="?antrian=semua"):
    response = client.get(reverse("backoffice:export") + role_params)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode().lstrip("\ufeff"))))


def test_export_identity_only_where_allowed_and_audited(login, users, in_state):
    named = in_state("dispositioned")
    anonymous = in_state("dispositioned")
    Complaint.objects.filter(pk=anonymous.pk).update(is_anonymous=True)
    rows = export(login(users["admin"]))
    assert rows[0] == [
        "nomor", "diterima", "status", "layanan", "opd", "kecamatan", "kelurahan", "kanal", "tenggat", "anonim", "rahasia",
        "judul", "pelapor", "telepon", "email",
    ]  # fmt: skip
    by_number = {r[0]: r for r in rows[1:]}
    assert by_number[named.tracking_number][-3:] == ["Budi Santoso", "081234567890", "budi@example.com"]
    assert by_number[anonymous.tracking_number][-3:] == ["", "", ""]  # revealing needs a stated reason
    assert AuditEntry.objects.filter(kind="export", user=users["admin"]).count() == 1
    # the Ombudsman observer and executives get no identity columns at all
    rows = export(login(users["executive"]))
    assert "pelapor" not in rows[0] and "Budi" not in str(rows)


def test_audit_log_export_for_admins_only(login, users, in_state):
    c = in_state("dispositioned")
    login(users["liaison"]).get(reverse("backoffice:report", args=[c.tracking_number]))
    assert login(users["liaison"]).get(reverse("backoffice:audit_csv")).status_code == 403
    response = login(users["admin"]).get(reverse("backoffice:audit_csv"))
    body = b"".join(response.streaming_content).decode()
    assert "view_identity" in body and c.tracking_number in body and "pupr" in body


def test_search_and_filters(login, users, submit):
    pipe = submit(title="Pipa bocor di Jl. Gatot Subroto", body="Air PDAM menyembur dari pipa sejak pagi tadi.")
    lamp = submit(
        title="Lampu jalan mati", body="Lampu PJU mati di depan masjid raya sejak kemarin.", service="lampu-jalan"
    )
    client = login(users["admin"])
    html = client.get(reverse("backoffice:inbox") + "?antrian=semua&q=menyembur").content.decode()
    assert pipe.tracking_number in html and lamp.tracking_number not in html
    html = client.get(
        reverse("backoffice:inbox") + "?antrian=semua&layanan=lampu-jalan&dari=bukan-tanggal"
    ).content.decode()
    assert lamp.tracking_number in html and pipe.tracking_number not in html


def test_bulk_disposition(login, users, submit, opd, external):
    a, b = submit(), submit()
    client = login(users["admin"])
    assert 'form="bulk"' in client.get(reverse("backoffice:inbox") + "?antrian=baru").content.decode()
    client.post(
        reverse("backoffice:bulk_verify"), {"nomor": [a.tracking_number, b.tracking_number], "institution": opd.pk}
    )
    for c in (a, b):
        c.refresh_from_db()
        assert c.status == Status.DISPOSITIONED and c.institution == opd
    c = submit()
    response = client.post(
        reverse("backoffice:bulk_verify"), {"nomor": [c.tracking_number], "institution": external.pk}, follow=True
    )
    assert '<li class="error">' in response.content.decode()
    c.refresh_from_db()
    assert c.status == Status.RECEIVED


def test_opd_cannot_bulk_disposition(login, users, submit, opd):
    c = submit()
    login(users["liaison"]).post(
        reverse("backoffice:bulk_verify"), {"nomor": [c.tracking_number], "institution": opd.pk}
    )
    c.refresh_from_db()
    assert c.status == Status.RECEIVED


def test_xlsx_export(login, users, in_state):
    import zipfile

    c = in_state("received")
    response = login(users["admin"]).get(reverse("backoffice:export_xlsx") + "?antrian=semua")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    sheet = "".join(book.read(name).decode() for name in book.namelist() if name.endswith(".xml"))
    assert c.tracking_number in sheet and "Budi Santoso" in sheet  # the admin may see a named reporter
    assert AuditEntry.objects.filter(kind="export", detail__format="xlsx").count() == 1


def test_response_template_is_offered_and_used(login, users, in_state):
    from sikesal.backoffice.models import ResponseTemplate
    from sikesal.catalogue.models import Service

    c = in_state("received")
    general = ResponseTemplate.objects.create(
        action="request_info", title="Minta foto", text="Mohon kirim foto lokasi."
    )
    ResponseTemplate.objects.create(
        action="request_info",
        title="Khusus PDAM",
        text="Nomor pelanggan?",
        service=Service.objects.get(code="pipa-bocor"),
    )
    client = login(users["admin"])
    html = client.get(reverse("backoffice:report", args=[c.tracking_number])).content.decode()
    assert "Minta foto" in html and "Khusus PDAM" not in html  # only templates for this report's service
    post_action(client, c, "request_info", template=general.pk)
    c.refresh_from_db()
    assert c.status == Status.PENDING_INFO
    assert c.events.last().message == "Mohon kirim foto lokasi."


def test_opd_assigns_to_an_officer_who_sees_it_in_their_queue(login, users, in_state):
    c = in_state("dispositioned")
    post_action(login(users["liaison"]), c, "assign", officer=users["officer"].pk)
    c.refresh_from_db()
    assert c.assigned_officer == users["officer"]
    assert inbox_numbers(login(users["officer"]), "untuk-saya") == {c.tracking_number}


def test_admin_sets_flags_later(login, users, in_state):
    c = in_state("in_progress")
    post_action(login(users["admin"]), c, "set_flags", is_secret="1")
    c.refresh_from_db()
    assert c.is_secret and not c.is_anonymous


def test_queue_badges_count_exactly_up_to_the_cap(login, users, in_state, monkeypatch):
    import re

    from sikesal.backoffice import views

    for _ in range(3):
        in_state("received")
    client = login(users["admin"])

    def badge(queue):
        html = client.get(reverse("backoffice:inbox")).content.decode()
        return re.search(rf'data-queue="{queue}">[^<]*<span class="count">([^<]+)<', html).group(1)

    assert badge("baru") == "3"
    monkeypatch.setattr(views, "QUEUE_COUNT_CAP", 2)
    assert badge("baru") == "2+"


def test_report_page_opens_the_action_asked_for_and_reopens_a_refused_one(login, users, in_state):
    complaint = in_state("received")
    client = login(users["admin"])
    url = reverse("backoffice:report", args=[complaint.tracking_number])
    html = client.get(url).content.decode()
    assert '<details class="action" name="aksi" id="choice-verify">' in html  # all closed
    assert (
        '<details class="action" name="aksi" id="choice-request_info" open>'
        in client.get(url + "?aksi=request_info").content.decode()
    )
    assert " open>" not in client.get(url + "?aksi=close_admin").content.decode()  # not offered now: none open
    response = client.post(
        reverse("backoffice:action", args=[complaint.tracking_number]),
        {"action": "request_info", "version": complaint.version, "message": ""},
    )
    assert response.status_code == 302 and response["Location"] == f"{url}?aksi=request_info#action-request_info"
    html = client.get(response["Location"]).content.decode()
    assert 'id="choice-request_info" open>' in html and 'class="error"' in html


def test_report_page_labels_photos_before_and_after(login, users, submit, act, settings, tmp_path):
    from tests.complaints.test_intake import jpeg_with_gps

    settings.MEDIA_ROOT = tmp_path
    complaint = submit(files=[("lubang.jpg", jpeg_with_gps())])
    for action in ("verify", "start"):
        act(complaint, action)
    act(complaint, "add_followup", files=[("dibongkar.jpg", jpeg_with_gps())])
    act(complaint, "complete_followup", files=[("ditambal.jpg", jpeg_with_gps())])
    html = login(users["admin"]).get(reverse("backoffice:report", args=[complaint.tracking_number])).content.decode()
    headings = re.findall(r'<h2 class="photo-group" id="photos-(\w+)">([^<]+)</h2>', html)
    assert headings == [
        ("before", "Sebelum: dari pelapor"),
        ("during", "Selama penanganan: tindak lanjut OPD"),
        ("after", "Sesudah: tindak lanjut akhir OPD"),
    ]
