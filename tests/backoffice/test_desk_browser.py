"""The complaint desk in a real browser on a phone's screen: a walk-in report recorded, its receipt shown."""

import pytest

from sikesal.accounts.roles import Role
from sikesal.complaints.models import Complaint
from tests.browser_steps import block_outside
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_desk_officer_records_a_walk_in_report_and_sees_the_receipt(page, live_server, catalogue, artifacts):
    officer = make_user("loket", Role.DESK_OFFICER)
    officer.set_password("kata-sandi-kuat-1")
    officer.save()
    block_outside(page)
    page.goto(live_server.url + "/kantor/masuk/")
    page.fill("#id_username", "loket")
    page.fill("#id_password", "kata-sandi-kuat-1")
    page.click("button[type=submit]")
    page.wait_for_selector("#desk-form")  # a desk officer lands at the desk, not in an inbox
    page.check("input[name=channel][value=walk_in]")
    page.select_option("#service", "jalan-rusak")
    page.fill("#title", "Jalan berlubang di depan Pasar Angso Duo")
    page.fill("#body", "Lubang besar di tengah jalan dekat pintu masuk pasar, sudah seminggu, dua motor jatuh.")
    page.select_option("#area", "15.71.08.1004")
    page.check("input[name=is_anonymous]")
    page.fill("#name", "Siti Aminah")
    page.fill("#phone", "081234567891")
    page.select_option("#contact_check", "id_seen")
    page.screenshot(path=f"{artifacts}/1-desk-form.png", full_page=True)
    page.click("#record-report")
    page.wait_for_selector("#tracking-number")
    page.screenshot(path=f"{artifacts}/2-receipt.png", full_page=True)
    c = Complaint.objects.get()
    assert page.inner_text("#tracking-number") == c.tracking_number
    assert c.channel == "walk_in" and c.is_anonymous and c.desk_intake.recorded_by == officer
    assert "Datang langsung" in page.inner_text("#receipt") and page.is_visible(".qr svg")
    # No sideways scrolling on the phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert page.get_attribute("#receipt-pdf", "href").endswith(f"{c.tracking_number}.pdf")
