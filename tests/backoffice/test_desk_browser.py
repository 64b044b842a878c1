"""The complaint desk in a real browser on a phone's screen: a walk-in report recorded, its receipt shown; a
likely duplicate shown before filing, and recorded as a new report all the same, with its photo."""

import pytest

from sikesal.accounts.roles import Role
from sikesal.complaints.models import Complaint
from tests.browser_steps import block_outside, photo
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in_at_the_desk(page, live_server):
    officer = make_user("loket", Role.DESK_OFFICER)
    officer.set_password("kata-sandi-kuat-1")
    officer.save()
    block_outside(page)
    page.goto(live_server.url + "/kantor/masuk/")
    page.fill("#id_username", "loket")
    page.fill("#id_password", "kata-sandi-kuat-1")
    page.click("button[type=submit]")
    page.wait_for_selector("#desk-form")  # a desk officer lands at the desk, not in an inbox
    return officer


def fill_walk_in(page):
    page.check("input[name=channel][value=walk_in]")
    page.select_option("#service", "jalan-rusak")
    page.fill("#title", "Jalan berlubang di depan Pasar Angso Duo")
    page.fill("#body", "Lubang besar di tengah jalan dekat pintu masuk pasar, sudah seminggu, dua motor jatuh.")
    page.select_option("#area", "15.71.08.1004")
    page.check("input[name=is_anonymous]")
    page.fill("#name", "Siti Aminah")
    page.fill("#phone", "081234567891")
    page.select_option("#contact_check", "id_seen")


def no_sideways_scrolling(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_a_desk_officer_records_a_walk_in_report_and_sees_the_receipt(page, live_server, catalogue, artifacts):
    officer = log_in_at_the_desk(page, live_server)
    fill_walk_in(page)
    page.screenshot(path=f"{artifacts}/1-desk-form.png", full_page=True)
    page.click("#record-report")
    page.wait_for_selector("#tracking-number")
    page.screenshot(path=f"{artifacts}/2-receipt.png", full_page=True)
    c = Complaint.objects.get()
    assert page.inner_text("#tracking-number") == c.tracking_number
    assert c.channel == "walk_in" and c.is_anonymous and c.desk_intake.recorded_by == officer
    assert "Datang langsung" in page.inner_text("#receipt") and page.is_visible(".qr svg")
    assert no_sideways_scrolling(page)
    assert page.get_attribute("#receipt-pdf", "href").endswith(f"{c.tracking_number}.pdf")


def test_a_likely_duplicate_is_shown_first_and_recorded_as_new_with_its_photo(
    page, live_server, catalogue, artifacts, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    log_in_at_the_desk(page, live_server)
    fill_walk_in(page)
    page.click("#record-report")
    page.wait_for_selector("#tracking-number")
    first = Complaint.objects.get()
    page.goto(live_server.url + "/kantor/loket/")
    fill_walk_in(page)
    page.set_input_files("#attachments", str(photo(tmp_path, "lubang.jpg")))
    page.click("#record-report")
    page.wait_for_selector("#duplicates")
    page.screenshot(path=f"{artifacts}/1-likely-duplicate.png", full_page=True)
    box = page.inner_text("#duplicates")
    assert "Mungkin sudah pernah dilaporkan" in box and first.tracking_number in box
    assert Complaint.objects.count() == 1  # nothing saved yet
    assert page.input_value("#title") == first.title and "lubang.jpg" in page.inner_text("#staged-files")
    assert no_sideways_scrolling(page)
    page.click("#record-anyway")  # "Catat sebagai laporan baru"
    page.wait_for_selector("#tracking-number")
    second = Complaint.objects.exclude(pk=first.pk).get()
    assert page.inner_text("#tracking-number") == second.tracking_number and second.attachments.count() == 1
