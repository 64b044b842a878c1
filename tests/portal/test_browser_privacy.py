"""A citizen's rights in a real browser: log in by code, read and download everything held, ask for the
erasure of one report; the DPO decides it in the back office; the citizen reads the outcome."""

import json
import re

import pytest
from django.core import mail

from sikesal.complaints.models import Reporter
from sikesal.privacy.models import DataRequest
from tests.browser_steps import block_outside, staff_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_download_and_erasure_request_as_the_citizen_and_decision_as_the_dpo(
    page, browser, live_server, users, submit, artifacts
):
    kept, erased = submit(), submit(title="Lampu jalan mati di Jl. Sultan Agung", service="lampu-jalan")
    block_outside(page)
    page.goto(live_server.url + "/masuk/")
    page.fill("#contact", "budi@example.com")
    page.click("button[type=submit]")
    page.wait_for_selector("#code")
    page.fill("#code", re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1))
    page.click("button[type=submit]")
    page.click("#my-data")
    page.wait_for_selector("#held-reports")
    page.screenshot(path=f"{artifacts}/1-my-data.png", full_page=True)
    assert erased.tracking_number in page.inner_text("#held-reports")
    assert "Budi Santoso" in page.inner_text("#held-reports")

    with page.expect_download() as download:
        page.click("#download-json")
    held = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert {r["tracking_number"] for r in held["reports"]} == {kept.tracking_number, erased.tracking_number}

    page.check("#ask-request input[name=kind][value=erasure]")
    page.select_option("#r-report", erased.tracking_number)
    page.fill("#r-detail", "Saya tidak ingin nama saya tersimpan pada laporan ini.")
    page.click("#send-request")
    page.wait_for_selector(".messages")
    page.screenshot(path=f"{artifacts}/2-request-sent.png", full_page=True)
    assert "3 × 24" not in page.inner_text(".messages")  # the message names the due time itself
    request = DataRequest.objects.get()
    assert request.kind == "erasure" and request.complaint_id == erased.pk

    users["dpo"].set_password("kata-sandi-kuat-1")
    users["dpo"].save()
    staff = browser.new_context(viewport={"width": 1280, "height": 900})
    office = staff.new_page()
    block_outside(office)
    staff_log_in(office, live_server, "dpo", "kata-sandi-kuat-1")  # lands on the privacy office
    office.click(f"tr[data-request='{request.pk}'] a")
    office.check("#decide input[name=outcome][value=done]")
    office.fill("#reason", "Identitas Anda sudah dihapus dari laporan ini.")
    office.click("#decide button")
    office.wait_for_selector(".messages")
    office.screenshot(path=f"{artifacts}/3-dpo-decided.png", full_page=True)
    staff.close()

    assert Reporter.objects.get(complaint=erased).name == ""
    assert Reporter.objects.get(complaint=kept).name == "Budi Santoso"
    page.reload()
    assert "Identitas Anda sudah dihapus dari laporan ini." in page.inner_text("#held-requests")
    assert erased.tracking_number not in page.inner_text("#held-reports")  # no longer linked to him
