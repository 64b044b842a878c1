"""The officer's report page on a phone (issue #30 item 8): one action at a time, and what the commonest
actions cost (tests/backoffice/report_page_measure.py)."""

import json

import pytest

from tests.backoffice.report_page_measure import COMMON, PHONE, session_cookie, table, take
from tests.browser_steps import block_outside
from tests.conftest import STATE_PATHS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def with_photo(submit, settings, tmp_path):
    from tests.complaints.test_intake import jpeg_with_gps

    settings.MEDIA_ROOT = tmp_path

    def filed():
        return submit(address="Depan SD 47", files=[("lubang.jpg", jpeg_with_gps())])

    return filed


def test_measure_the_commonest_actions(browser, live_server, users, with_photo, act, artifacts):
    rows = []
    for who, state, action, fields in COMMON:
        complaint = with_photo()
        for step in STATE_PATHS[state]:
            act(complaint, step)
        rows.append(take(browser, live_server, users[who], complaint, action, fields))
        assert complaint.events.filter(action=action).exists(), action  # the action was taken
    print("\n" + table(rows))
    with open(f"{artifacts}/report-page.json", "w") as fh:
        json.dump(rows, fh, indent=1)


def open_report(browser, live_server, user, complaint, **options):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, **options)
    context.add_cookies([session_cookie(user, live_server)])
    page = context.new_page()
    block_outside(page)
    page.goto(f"{live_server.url}/kantor/laporan/{complaint.tracking_number}/")
    return context, page


def test_one_action_at_a_time_with_the_place_on_a_map(browser, live_server, users, with_photo, artifacts):
    complaint = with_photo()
    context, page = open_report(browser, live_server, users["admin"], complaint)
    page.wait_for_load_state("load")
    chooser = page.locator("#actions summary")
    assert "Verifikasi dan disposisi" in chooser.all_inner_texts() and "Minta informasi" in chooser.all_inner_texts()
    assert page.locator("details.action form:visible").count() == 0  # nothing open: the chooser alone
    closed = page.evaluate("document.documentElement.scrollHeight")

    page.click("#choose-verify")
    assert page.is_visible("#action-verify") and page.locator("details.action form:visible").count() == 1
    page.click("#choose-request_info")  # choosing another closes the first
    assert page.is_visible("#action-request_info") and page.is_hidden("#action-verify")
    page.screenshot(path=f"{artifacts}/request-info-open.png", full_page=True)

    # The old page showed every form at once: the chooser is far shorter than that.
    every_form = page.evaluate(
        """() => { document.querySelectorAll("details.action").forEach(d => { d.removeAttribute("name"); d.open = true; });
                   return document.documentElement.scrollHeight; }"""
    )
    assert closed < every_form * 0.6, (closed, every_form)

    # The report's place, with a marker in Indonesian; the photos say whose and when.
    assert page.get_attribute("#report-map .leaflet-marker-icon", "alt") == "Penanda lokasi laporan"
    assert "Sebelum: dari pelapor" in page.inner_text("#attachments")
    context.close()


def test_the_chooser_works_without_javascript(browser, live_server, users, in_state, settings):
    complaint = in_state("received")
    context, page = open_report(browser, live_server, users["admin"], complaint, java_script_enabled=False)
    assert page.is_hidden("#action-request_info")
    page.click("#choose-request_info")  # details open by themselves
    page.fill("#ri", "Di depan nomor rumah berapa tepatnya?")
    page.click("#action-request_info button[type=submit]")
    page.wait_for_selector(".messages li.success")
    assert complaint.events.filter(action="request_info").exists()
    context.close()
