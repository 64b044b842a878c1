"""Issue 17: what citizens and officers meet, through the Django test client (the browser checks are in tests/browser)."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_numbers_in_markup_are_not_localised(client, users, submit):
    """Indonesian writes decimal commas; markup, scripts and coordinates must not."""
    html = client.get(reverse("portal:file")).content.decode()
    assert 'data-south="-1.7"' in html and 'data-east="103.72"' in html
    complaint = submit()
    client.force_login(users["admin"])
    html = client.get(reverse("backoffice:report", args=[complaint.tracking_number])).content.decode()
    assert "(-1.610100, 103.613100)" in html


def english(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    return client


def assert_site_page(response, status, words):
    html = response.content.decode()
    assert response.status_code == status
    assert 'lang="' in html and "portal.css" in html  # the site's look, not Django's bare page
    assert words in html, html[:2000]
    assert 'href="/lacak/"' in html and 'href="/"' in html  # where to go next


def test_error_pages_are_pages_of_the_site_in_the_visitors_language(client, catalogue, users):
    assert_site_page(client.get("/tidak-ada/"), 404, "Halaman tidak ditemukan")
    assert_site_page(client.get(reverse("portal:private", args=["tautan-rusak"])), 404, "Halaman tidak ditemukan")
    assert_site_page(client.post(reverse("portal:reports")), 405, "tidak dapat digunakan dengan cara ini")
    client.force_login(users["citizen"])
    assert_site_page(client.get(reverse("backoffice:inbox")), 403, "Akses ditolak")
    client.logout()
    english(client)
    assert_site_page(client.get("/tidak-ada/"), 404, "Page not found")
    assert_site_page(client.post(reverse("portal:reports")), 405, "cannot be used this way")


def test_csrf_failure_is_a_page_of_the_site(catalogue):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(reverse("portal:file"), {"title": "x"})
    assert_site_page(response, 403, "Formulir sudah kedaluwarsa")


def test_server_error_is_a_page_of_the_site(catalogue, settings):
    from django.test import Client

    settings.ROOT_URLCONF = "tests.portal.urls_boom"
    response = Client(raise_request_exception=False).get("/rusak/")
    assert_site_page(response, 500, "Terjadi kesalahan di pihak kami")


def test_unverified_report_says_it_awaits_verification(client, submit, act):
    complaint = submit()
    response = client.get(reverse("portal:report_detail", args=[complaint.tracking_number]))
    assert_site_page(response, 404, "menunggu verifikasi")
    assert reverse("portal:track_detail", args=[complaint.tracking_number]) in response.content.decode()
    assert complaint.title not in response.content.decode()
    secret = submit(is_secret=True)
    act(secret, "verify")
    response = client.get(reverse("portal:report_detail", args=[secret.tracking_number]))
    assert_site_page(response, 404, "rahasia")
    assert secret.title not in response.content.decode() and secret.body not in response.content.decode()


def test_public_report_headings_do_not_skip_a_level(client, submit, act, settings, tmp_path):
    from tests.complaints.test_intake import jpeg_with_gps

    settings.MEDIA_ROOT = tmp_path
    complaint = submit(files=[("b.jpg", jpeg_with_gps())])  # "Before" photos get their own heading
    act(complaint, "verify")
    html = client.get(reverse("portal:report_detail", args=[complaint.tracking_number])).content.decode()
    levels = [int(n) for n in re.findall(r"<h([1-6])[ >]", html)]
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), levels


def test_ombudsman_state_choices_are_named_not_coded(client, users, in_state, act):
    from sikesal.complaints.policy import Actor
    from sikesal.integrations.ombudsman import service
    from tests.ombudsman.test_ombudsman import IDENTITY

    c = in_state("followed_up")
    act(c, "dispute")
    service.escalate(c, Actor.reporter(c), IDENTITY)
    client.force_login(users["ombudsman"])
    html = client.get(reverse("ombudsman:escalations")).content.decode()
    assert '<option value="examining">Dalam pemeriksaan</option>' in html
    assert ">examining<" not in html and ">sent<" not in html


def test_statistics_speak_the_visitors_language_and_name_months(client, submit):
    submit()
    html = client.get(reverse("portal:stats")).content.decode()  # computed (and cached) in Indonesian
    assert "November 2026" in html and ">2026-11<" not in html
    html = english(client).get(reverse("portal:stats")).content.decode()
    assert "Received, awaiting verification" in html and "Diterima, menunggu verifikasi" not in html


def test_sp4n_lapor_number_is_capitalised_like_its_neighbour(client, submit):
    complaint = submit()
    type(complaint).objects.filter(pk=complaint.pk).update(lapor_tracking_id="LAP-123")
    html = client.get(reverse("portal:track_detail", args=[complaint.tracking_number])).content.decode()
    assert "Nomor pelacakan SP4N-LAPOR!" in html


def test_chart_labels_are_cut_at_a_word():
    from sikesal.portal.templatetags.charts import short

    assert short("Dinas Pekerjaan Umum dan Penataan Ruang") == "Dinas Pekerjaan Umum…"
    assert short("Disperkim") == "Disperkim"


def test_back_office_report_reads_like_a_tool(client, users, submit, settings, tmp_path):
    from tests.complaints.test_intake import jpeg_with_gps

    settings.MEDIA_ROOT = tmp_path
    complaint = submit(address="Depan SD 47", files=[("b.jpg", jpeg_with_gps())])
    client.force_login(users["admin"])
    html = client.get(reverse("backoffice:report", args=[complaint.tracking_number])).content.decode()
    buttons = re.findall(r'<button class="btn" type="submit">([^<]+)</button>', html)
    assert len(buttons) >= 3 and "Simpan" not in buttons and len(set(buttons)) == len(buttons)  # each says its action
    assert "Verifikasi dan disposisi" in buttons
    assert f"{complaint.area.parent.name} · Depan SD 47" in html  # a separator before the address
    assert re.search(r'id="attachments".*?<img src="/lampiran/[\w-]{20,}/"', html, re.S)  # photos as thumbnails


def test_staff_timeline_does_not_call_events_they_see_reporter_only(client, users, in_state):
    complaint = in_state("pending_info")
    client.force_login(users["admin"])
    html = client.get(reverse("backoffice:report", args=[complaint.tracking_number])).content.decode()
    assert "hanya pelapor" not in html and "tidak publik (petugas dan pelapor)" in html


def test_private_page_after_confirming_shows_the_rating_not_an_empty_form(client, act, catalogue):
    from sikesal.complaints import submission
    from sikesal.complaints.policy import Actor
    from tests.conftest import report_data

    result = submission.submit(Actor.system("test"), report_data(), [])
    html = client.get(reverse("portal:private", args=[result.secret])).content.decode()
    assert 'id="ombudsman-later"' in html  # an open report says when the Ombudsman route opens
    for action in ("verify", "complete_followup", "confirm"):
        act(result.complaint, action)
    html = client.get(reverse("portal:private", args=[result.secret])).content.decode()
    assert 'id="your-rating"' in html and "5/5" in html
    assert re.search(r"<details><summary>[^<]+</summary>\s*<form[^>]+id=\"rate-form\"", html)


def test_private_page_labels_the_agencys_photos(client, act, actors, catalogue, settings, tmp_path):
    from sikesal.complaints import lifecycle, submission
    from sikesal.complaints.policy import Actor
    from tests.complaints.test_intake import jpeg_with_gps
    from tests.conftest import report_data

    settings.MEDIA_ROOT = tmp_path
    result = submission.submit(Actor.system("test"), report_data(), [("b.jpg", jpeg_with_gps())])
    act(result.complaint, "verify")
    lifecycle.transition(
        result.complaint,
        "complete_followup",
        actors["liaison"],
        message="Ditambal.",
        files=[("a.jpg", jpeg_with_gps())],
    )
    html = client.get(reverse("portal:private", args=[result.secret])).content.decode()
    assert re.search(r'id="your-files".*?<img', html, re.S) and re.search(r'id="agency-files".*?<img', html, re.S)
    assert "Dari tindak lanjut instansi" in html


def test_favicon_is_served(client, catalogue):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("portal/favicon.svg")


def test_report_pages_are_no_faster_way_to_find_numbers(client, submit, settings, clock):
    settings.SIKESAL_RATE_LIMITS = {**settings.SIKESAL_RATE_LIMITS, "track_per_ip_per_minute": 2}
    complaint = submit()
    for _ in range(2):
        client.get(reverse("portal:report_detail", args=["JBI-0000-ZZZZ"]))
    response = client.get(reverse("portal:report_detail", args=[complaint.tracking_number]))
    assert response.status_code == 429 and "menunggu verifikasi" not in response.content.decode()
