"""In a real browser: the reporter of an overdue report takes it to the Ombudsman; the observer sees it,
downloads its file, and reads the OPD's compliance figures."""

import datetime as dt
import re

import pytest

from sikesal.catalogue.models import Institution
from sikesal.integrations.ombudsman.models import Escalation
from tests.browser_steps import block_outside, staff_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_overdue_report_goes_to_the_ombudsman(page, browser, live_server, users, submit, act, artifacts):
    long_ago = dt.datetime(2026, 8, 3, 3, tzinfo=dt.UTC)
    from sikesal.complaints import submission
    from sikesal.complaints.policy import Actor

    result = submission.submit(
        Actor.system("test"),
        {
            "service": "air-keruh",
            "area": "15.71.02.1006",
            "title": "Air PDAM keruh tiga minggu",
            "body": "Air PDAM keruh kecoklatan dan berbau sejak awal bulan, tidak bisa dipakai memasak.",
            "idempotency_key": "browser-ombudsman-1",
        },
        now=long_ago,
    )
    complaint = result.complaint
    tirta = Institution.objects.get(short_name="Tirta Mayang")
    act(complaint, "verify", now=long_ago + dt.timedelta(hours=3), institution=tirta.pk)  # then no answer

    block_outside(page)
    page.goto(f"{live_server.url}/pelapor/{result.secret}/")
    page.wait_for_selector("#ombudsman-offer")
    page.screenshot(path=f"{artifacts}/1-offer.png", full_page=True)
    page.click("#ombudsman-offer a")
    page.fill("#full_name", "Siti Aminah binti Abdullah")
    page.fill("#birth_place", "Jambi")
    page.fill("#birth_date", "1985-04-12")
    page.select_option("#marital_status", "kawin")
    page.fill("#occupation", "Pedagang")
    page.fill("#address", "Jl. Sultan Agung No. 7, Simpang IV Sipin")
    page.fill("#losses", "Dagangan rusak.")
    page.fill("#remedy", "Air jernih kembali.")
    page.check("input[name=consent]")
    page.screenshot(path=f"{artifacts}/2-form.png", full_page=True)
    page.click("#send-ombudsman")
    page.wait_for_selector("#ombudsman-status")
    assert Escalation.objects.filter(complaint=complaint).exists()

    users["ombudsman"].set_password("kata-sandi-kuat-1")
    users["ombudsman"].save()
    observer = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    office = observer.new_page()
    block_outside(office)
    staff_log_in(office, live_server, "ombudsman", "kata-sandi-kuat-1")
    office.goto(f"{live_server.url}/ombudsman/")
    assert complaint.tracking_number in office.content()
    office.screenshot(path=f"{artifacts}/3-escalations.png", full_page=True)
    with office.expect_download() as download:
        office.click("text=PDF")
    assert download.value.suggested_filename == f"{complaint.tracking_number}.pdf"
    office.goto(f"{live_server.url}/ombudsman/kepatuhan/")
    row = office.inner_text('tr[data-opd="Tirta Mayang"]')
    assert re.search(r"Tirta Mayang\s+1\b", row), row
    office.screenshot(path=f"{artifacts}/4-compliance.png", full_page=True)
    observer.close()
