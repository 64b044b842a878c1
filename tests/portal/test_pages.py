"""Citizen pages through the Django test client: filing, tracking, the private page, public lists."""

import re

import pytest
from django.urls import reverse

from sikesal.complaints.models import Complaint
from sikesal.complaints.states import Status
from tests.conftest import wib

FORM = {
    "type": "pengaduan",
    "service": "lampu-jalan",
    "title": "Lampu jalan mati di Jl. Sultan Agung",
    "body": "Tiga lampu PJU mati sejak minggu lalu, jalan gelap gulita dan rawan kejahatan.",
    "area": "15.71.01.1001",
    "latitude": "-1.6150",
    "longitude": "103.5900",
    "name": "Siti Aminah",
    "phone": "0812 3456 7890",
    "email": "siti@example.com",
}


def file(client, **overrides):
    data = {**FORM, "idempotency_key": "k" * 20, **overrides}
    return client.post(reverse("portal:file"), data)


@pytest.fixture
def filed(client, catalogue):
    response = file(client, is_anonymous="1")
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    confirmation = client.get(response["Location"])
    secret_url = re.search(r'id="private-link" href="([^"]+)"', confirmation.content.decode()).group(1)
    return complaint, confirmation, secret_url


def test_pages_answer(client, catalogue):
    for name in ("home", "file", "track", "reports", "stats"):
        response = client.get(reverse(f"portal:{name}"))
        assert response.status_code == 200, name
    assert "112" in client.get(reverse("portal:home")).content.decode()


def test_indonesian_by_default_english_on_request(client, catalogue):
    assert 'lang="id"' in client.get(reverse("portal:home")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert 'lang="en"' in client.get(reverse("portal:home")).content.decode()


def test_filing_shows_tracking_number_link_and_qr(filed):
    complaint, confirmation, secret_url = filed
    html = confirmation.content.decode()
    assert complaint.tracking_number in html
    assert "<svg" in html  # the QR code
    assert complaint.channel == "web" and complaint.is_anonymous
    assert complaint.reporter.phone == "081234567890"


def test_double_submit_creates_one_report(client, catalogue):
    first, second = file(client), file(client)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Complaint.objects.count() == 1


def test_bad_form_is_refused_and_kept(client, catalogue):
    response = file(client, body="pendek", latitude="-6.2", longitude="106.8")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Lampu jalan mati di Jl. Sultan Agung" in html  # what the citizen typed is kept
    assert Complaint.objects.count() == 0


def test_honeypot_refuses_bots(client, catalogue):
    assert file(client, website="http://spam.example").status_code == 400
    assert Complaint.objects.count() == 0


# The day's window ends at midnight UTC (07:00 WIB): the test holds at one instant, there as anywhere.
@pytest.mark.parametrize(
    "at", [wib(2026, 11, 2, 9, 0, 0), wib(2026, 11, 3, 6, 59, 59)], ids=["morning", "utc-midnight"]
)
def test_rate_limit_per_contact(client, catalogue, settings, clock, at):
    clock.move_to(at, tick=False)
    settings.SIKESAL_RATE_LIMITS = {**settings.SIKESAL_RATE_LIMITS, "file_per_contact_per_day": 2}
    codes = [file(client, idempotency_key=f"key-{i:020d}").status_code for i in range(3)]
    assert codes == [302, 302, 429]
    assert Complaint.objects.count() == 2


def test_track_shows_status_never_identity(client, filed, act):
    complaint, _, _ = filed
    act(complaint, "verify")
    html = client.get(reverse("portal:track_detail", args=[complaint.tracking_number])).content.decode()
    assert complaint.title in html
    assert "Siti" not in html and "0812" not in html and "siti@" not in html
    assert client.get(reverse("portal:track") + "?nomor=" + complaint.tracking_number.lower())["Location"].endswith(
        complaint.tracking_number + "/"
    )


def test_unknown_tracking_number_is_404(client, catalogue):
    response = client.get(reverse("portal:track_detail", args=["JBI-0000-ZZZZ"]))
    assert response.status_code == 404


def test_rahasia_report_shows_status_only(client, catalogue, act):
    file(client, is_secret="1")
    complaint = Complaint.objects.get()
    act(complaint, "verify")
    html = client.get(reverse("portal:track_detail", args=[complaint.tracking_number])).content.decode()
    assert complaint.get_status_display() in html
    assert complaint.title not in html and complaint.body not in html
    assert client.get(reverse("portal:report_detail", args=[complaint.tracking_number])).status_code == 404
    assert complaint.tracking_number not in client.get(reverse("portal:reports")).content.decode()


def test_private_page_supply_info_confirm_and_rate(client, filed, act):
    complaint, _, secret_url = filed
    act(complaint, "request_info")
    page = client.get(secret_url)
    assert page.status_code == 200 and page["Referrer-Policy"] == "same-origin"
    assert "Mohon lampirkan foto lokasi." in page.content.decode()
    action_url = secret_url + "aksi/"
    client.post(
        action_url, {"action": "supply_info", "message": "Tiang nomor 12 dan 13.", "version": complaint.version}
    )
    complaint.refresh_from_db()
    assert complaint.status == Status.RECEIVED
    act(complaint, "verify")
    act(complaint, "complete_followup")
    html = client.get(secret_url).content.decode()
    assert "Lubang sudah ditambal." in html
    client.post(action_url, {"action": "confirm", "rating": "4", "comment": "Cepat.", "version": complaint.version})
    complaint.refresh_from_db()
    assert complaint.status == Status.CLOSED_REPORTER and complaint.rating == 4


def test_private_page_refuses_a_stale_form(client, filed, act):
    complaint, _, secret_url = filed
    stale = complaint.version
    act(complaint, "verify")
    act(complaint, "complete_followup")
    response = client.post(secret_url + "aksi/", {"action": "dispute", "message": "x", "version": stale}, follow=True)
    complaint.refresh_from_db()
    assert complaint.status == Status.FOLLOWED_UP
    assert "reload" in response.content.decode() or "muat ulang" in response.content.decode()


def test_wrong_secret_is_404(client, filed):
    assert client.get(reverse("portal:private", args=["tebak-tebakan"])).status_code == 404


def test_public_list_and_map_show_only_public_reports(client, filed, act, submit):
    complaint, _, _ = filed
    hidden = submit(title="Belum diverifikasi")
    act(complaint, "verify")
    html = client.get(reverse("portal:reports")).content.decode()
    assert complaint.tracking_number in html and hidden.tracking_number not in html
    assert "Siti" not in html
    points = client.get(reverse("portal:reports_map")).json()["points"]
    assert [p["tracking"] for p in points] == [complaint.tracking_number]
    filtered = client.get(reverse("portal:reports") + "?kecamatan=15.71.02&bulan=xx").content.decode()
    assert complaint.tracking_number not in filtered


def test_html_in_a_report_is_rendered_inert(client, catalogue, act):
    file(client, body="<script>alert('x')</script> lampu mati di depan rumah nomor 5")
    complaint = Complaint.objects.get()
    act(complaint, "verify")
    html = client.get(reverse("portal:report_detail", args=[complaint.tracking_number])).content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_public_detail_shows_before_and_after_photos(client, catalogue, act, actors):
    from sikesal.complaints import lifecycle, submission
    from tests.complaints.test_intake import jpeg_with_gps

    submission.submit(
        lifecycle.policy.Actor.system(),
        {**_as_data(FORM), "idempotency_key": "photo-before-1"},
        [("b.jpg", jpeg_with_gps())],
    )
    complaint = Complaint.objects.get()
    act(complaint, "verify")
    lifecycle.transition(
        complaint, "complete_followup", actors["liaison"], message="Diganti.", files=[("a.jpg", jpeg_with_gps())]
    )
    html = client.get(reverse("portal:report_detail", args=[complaint.tracking_number])).content.decode()
    assert html.count("<img") == 2 and 'id="after-photos"' in html
    after = complaint.attachments.get(event__isnull=False)
    response = client.get(reverse("portal:attachment", args=[after.token]))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_attachments_of_a_hidden_report_are_not_served(client, catalogue, submit):
    from tests.complaints.test_intake import jpeg_with_gps

    complaint = submit(files=[("b.jpg", jpeg_with_gps())])  # not yet verified: not public
    att = complaint.attachments.get()
    assert client.get(reverse("portal:attachment", args=[att.token])).status_code == 404


def _as_data(form):
    return {
        "service": form["service"],
        "title": form["title"],
        "body": form["body"],
        "area": form["area"],
        "reporter": {"name": form["name"]},
    }
