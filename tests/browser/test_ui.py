"""Issue 17 in a real browser on a 360 px phone, Indonesian first: names, focus, tap targets, fitting."""

import pytest
from playwright.sync_api import expect

from sikesal.complaints import submission
from sikesal.complaints.policy import Actor
from tests.browser_steps import block_outside
from tests.conftest import report_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def filed(act, *actions, **overrides):
    """A report through the lifecycle, with its private link's secret."""
    result = submission.submit(Actor.system("test"), report_data(**overrides), [])
    for action in actions:
        act(result.complaint, action)
    return result.complaint, result.secret


def sideways(page):
    return page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")


def test_service_list_has_a_name_with_and_without_javascript(browser, page, live_server, catalogue):
    block_outside(page)
    page.goto(live_server.url + "/lapor/")
    assert page.get_by_role("combobox", name="Layanan", exact=True).get_attribute("id") == "service"
    assert page.get_by_role("searchbox").is_visible()
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740})
    nojs = context.new_page()
    block_outside(nojs)
    nojs.goto(live_server.url + "/lapor/")
    assert nojs.get_by_role("combobox", name="Layanan", exact=True).get_attribute("id") == "service"
    assert not nojs.is_visible("#service-search-label")  # no "type to search" hint for a hidden box
    context.close()


def test_a_refused_submission_takes_focus_to_the_error_summary(page, live_server, catalogue):
    block_outside(page)
    page.goto(live_server.url + "/lapor/")
    page.click("#submit-report")
    page.wait_for_selector("#form-errors")
    # (expect() runs outside the page's CSP, which refuses wait_for_function's evaluated strings)
    expect(page.locator("#form-errors")).to_be_focused()


def test_rating_choices_are_big_enough_to_tap(page, live_server, catalogue, act):
    _c, secret = filed(act, "verify", "complete_followup")
    block_outside(page)
    page.goto(f"{live_server.url}/pelapor/{secret}/")
    labels = page.query_selector_all("#confirm-form .stars label")
    assert len(labels) == 5
    for label in labels:
        box = label.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, box
    page.tap("#confirm-form .stars label:nth-of-type(4)")
    assert page.is_checked("#confirm-form input[value='4']")


def test_the_admins_note_to_the_opd_stays_in_the_back_office(browser, page, live_server, act, users):
    from tests.browser.test_accessibility import session_cookie

    note = "Catatan internal: tolong prioritaskan, dekat sekolah."
    c, secret = filed(act)
    act(c, "verify", note=note)
    block_outside(page)
    for path in (f"/laporan/{c.tracking_number}/", f"/lacak/{c.tracking_number}/", f"/pelapor/{secret}/"):
        page.goto(live_server.url + path)
        assert c.title in page.content(), path
        assert note not in page.content(), path
    staff = browser.new_context(viewport={"width": 1366, "height": 768})
    host = live_server.url.split("//")[1].split(":")[0]
    staff.add_cookies([{**session_cookie(users["admin"]), "domain": host, "path": "/"}])
    office = staff.new_page()
    office.goto(f"{live_server.url}/kantor/laporan/{c.tracking_number}/")
    assert note in office.inner_text(".internal-note")
    staff.close()
