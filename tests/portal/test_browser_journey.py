"""A citizen's whole journey in a real browser on a phone-sized screen."""

import pytest

from sikesal.complaints.models import Complaint
from sikesal.complaints.states import Status
from tests.browser_steps import block_outside, photo, staff_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_file_track_follow_up_and_close(page, browser, live_server, users, artifacts, tmp_path):
    block_outside(page)
    page.goto(live_server.url + "/lapor/")
    page.screenshot(path=f"{artifacts}/1-form.png", full_page=True)

    page.fill("#service-search", "lampu jalan")
    page.select_option("#service", "lampu-jalan")
    page.fill("#title", "Lampu jalan mati di Jl. Sultan Agung")
    page.fill("#body", "Tiga lampu PJU mati sejak minggu lalu, jalan gelap dan rawan kejahatan.")
    page.select_option("#kecamatan", "15.71.01")
    page.select_option("#area", "15.71.01.1001")
    page.set_input_files("#attachments", str(photo(tmp_path)))
    page.click("#more-privacy > summary")  # folded on the short form
    page.check("input[name=is_anonymous]")
    page.click("#more-contact > summary")
    page.fill("#name", "Siti Aminah")
    page.fill("#phone", "081234567890")
    page.screenshot(path=f"{artifacts}/2-filled.png", full_page=True)
    page.click("#submit-report")

    page.wait_for_selector("#tracking-number")
    tracking = page.inner_text("#tracking-number").strip()
    private_url = page.get_attribute("#private-link", "href")
    page.screenshot(path=f"{artifacts}/3-confirmation.png", full_page=True)
    complaint = Complaint.objects.get(tracking_number=tracking)
    assert complaint.is_anonymous and complaint.attachments.count() == 1

    # The admin koordinator verifies and dispositions it in the back office; the OPD answers there.
    for name in ("admin", "other_liaison"):  # Disperkim handles street lights
        users[name].set_password("kata-sandi-kuat-1")
        users[name].save()
    staff = browser.new_context(viewport={"width": 1280, "height": 900})
    office = staff.new_page()
    block_outside(office)
    staff_log_in(office, live_server, "admin", "kata-sandi-kuat-1")
    office.goto(f"{live_server.url}/kantor/laporan/{tracking}/")
    assert "Siti" not in office.content()  # anonymous: hidden even from the admin until a stated reveal
    office.click("#choose-verify")
    office.select_option("#v-opd", label="Disperkim")
    office.click("#action-verify button[type=submit]")
    office.wait_for_selector(".messages")
    office.click("form[action$='/kantor/keluar/'] button")
    staff_log_in(office, live_server, "perkim", "kata-sandi-kuat-1")
    office.goto(f"{live_server.url}/kantor/laporan/{tracking}/")
    assert "Siti" not in office.content() and "081234567890" not in office.content()
    office.click("#choose-complete_followup")
    office.fill("#cf", "Lampu sudah diganti oleh tim PJU.")
    office.click("#action-complete_followup button[type=submit]")
    office.wait_for_selector(".messages")
    office.screenshot(path=f"{artifacts}/4a-opd-followup.png", full_page=True)
    staff.close()

    page.goto(private_url)
    assert "Lampu sudah diganti oleh tim PJU." in page.content()
    page.screenshot(path=f"{artifacts}/4-private-followup.png", full_page=True)
    page.check("#confirm-form input[name=rating][value='5']")
    page.fill("#confirm-comment", "Terima kasih, cepat sekali.")
    page.click("#confirm-form button[type=submit]")
    page.wait_for_selector(".messages")
    page.screenshot(path=f"{artifacts}/5-closed.png", full_page=True)
    complaint.refresh_from_db()
    assert complaint.status == Status.CLOSED_REPORTER and complaint.rating == 5

    # Someone else who knows only the tracking number sees the status, never who reported it.
    other = browser.new_context(viewport={"width": 360, "height": 740})
    stranger = other.new_page()
    block_outside(stranger)
    stranger.goto(live_server.url + "/lacak/")
    stranger.fill("#nomor", tracking)
    stranger.press("#nomor", "Enter")
    stranger.wait_for_selector(".status")
    html = stranger.content()
    stranger.screenshot(path=f"{artifacts}/6-stranger-track.png", full_page=True)
    assert tracking in html
    for identity in ("Siti", "Aminah", "0812"):
        assert identity not in html
    other.close()


def test_form_works_without_javascript(browser, live_server, catalogue, artifacts):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740})
    page = context.new_page()
    block_outside(page)
    page.goto(live_server.url + "/lapor/")
    page.select_option("#service", "sampah")
    page.fill("#title", "Sampah menumpuk di TPS")
    page.fill("#body", "Sampah tidak diangkut selama empat hari dan baunya sampai ke rumah warga.")
    page.select_option("#area", "15.71.04.1003")
    page.click("#submit-report")
    page.wait_for_selector("#tracking-number")
    page.screenshot(path=f"{artifacts}/no-js-confirmation.png", full_page=True)
    assert Complaint.objects.filter(service__code="sampah").count() == 1
    context.close()
