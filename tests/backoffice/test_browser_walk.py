"""The back office in a real browser: 2FA log-in, disposition, the OPD's follow-up, OPD isolation."""

import re

import pytest

from sikesal.accounts.roles import Role
from sikesal.catalogue.models import Institution
from sikesal.complaints.states import Status
from tests.browser_steps import block_outside, photo, staff_log_in
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_dispositions_opd_follows_up_other_opd_cannot_see(
    browser, live_server, users, submit, artifacts, tmp_path
):
    complaint = submit(title="Jalan berlubang di Jl. Kapten Pattimura")
    for user in users.values():
        user.set_password("kata-sandi-kuat-1")
        user.save()
    dinkes = make_user("dinkes", Role.OPD_OFFICER, Institution.objects.get(short_name="Dinkes"))
    dinkes.set_password("kata-sandi-kuat-1")
    dinkes.save()

    admin_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = admin_ctx.new_page()
    block_outside(page)
    staff_log_in(page, live_server, "admin", "kata-sandi-kuat-1", screenshot=f"{artifacts}/1-admin-2fa-setup.png")
    assert complaint.tracking_number in page.content()
    page.screenshot(path=f"{artifacts}/2-admin-inbox.png", full_page=True)
    page.click(f"text={complaint.tracking_number}")
    page.click("#choose-verify")  # one action's form at a time
    page.select_option("#v-opd", label="Dinas PUPR")
    page.fill("#v-note", "Mohon segera ditinjau.")
    page.click("#action-verify button[type=submit]")
    page.wait_for_selector(".messages")
    page.screenshot(path=f"{artifacts}/3-dispositioned.png", full_page=True)
    complaint.refresh_from_db()
    assert complaint.status == Status.DISPOSITIONED and complaint.institution.short_name == "Dinas PUPR"
    admin_ctx.close()

    opd_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = opd_ctx.new_page()
    block_outside(page)
    staff_log_in(page, live_server, "pupr", "kata-sandi-kuat-1")
    assert complaint.tracking_number in page.content()
    page.click(f"text={complaint.tracking_number}")
    page.click("#choose-add_followup")
    page.fill("#fu", "Tim sudah menambal lubang.")
    page.set_input_files("#fu-files", str(photo(tmp_path)))
    page.click("#action-add_followup button[type=submit]")
    page.wait_for_selector(".messages")
    page.screenshot(path=f"{artifacts}/4-opd-followup.png", full_page=True)
    complaint.refresh_from_db()
    assert (
        complaint.status == Status.IN_PROGRESS
        and complaint.attachments.filter(event__action="add_followup").count() == 1
    )
    opd_ctx.close()

    other_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = other_ctx.new_page()
    block_outside(page)
    staff_log_in(page, live_server, "dinkes", "kata-sandi-kuat-1")
    assert complaint.tracking_number not in page.content()
    response = page.goto(f"{live_server.url}/kantor/laporan/{complaint.tracking_number}/")
    assert response.status == 404
    page.screenshot(path=f"{artifacts}/5-other-opd-404.png", full_page=True)
    assert not re.search("Budi", page.content())
    other_ctx.close()
