"""Issue #20 in a real chromium on a 360 px phone: the installable app, its service worker, filing without a
signal (exactly one report arrives), drafts, the offline page, and the form still posting without JS."""

import io
import json
import time

import pytest
from PIL import Image
from playwright.sync_api import expect

from sikesal.complaints.models import Complaint
from tests.browser_steps import photo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def block_outside(context):
    # Map tiles come from outside; the context-wide route covers the service worker's fetches too.
    import re

    context.route(re.compile(r"^https?://(?!127\.0\.0\.1|localhost).*"), lambda route: route.abort())


def big_photo(tmp_path):
    path = tmp_path / "jalan.jpg"
    img = Image.new("RGB", (3000, 2000), (90, 120, 60))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=95)
    path.write_bytes(buf.getvalue())
    return path


def controlled(page, timeout=15):
    """Wait until the service worker is active and controls the page (polled from outside the page's CSP)."""
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    deadline = time.time() + timeout
    while time.time() < deadline:
        if page.evaluate("() => !!navigator.serviceWorker.controller"):
            return
        time.sleep(0.2)
    raise AssertionError("the service worker never took control")


def fill_report(page, tmp_path):
    page.select_option("#service", "lampu-jalan")
    page.fill("#title", "Lampu jalan mati di Jl. Sultan Agung")
    page.fill("#body", "Tiga lampu PJU mati sejak minggu lalu, jalan gelap dan rawan kejahatan.")
    page.select_option("#kecamatan", "15.71.01")
    page.select_option("#area", "15.71.01.1001")
    page.set_input_files("#attachments", str(big_photo(tmp_path)))
    page.click("#more-contact > summary")  # contact details are folded on the short form
    page.fill("#name", "Siti Aminah")
    page.fill("#phone", "081234567890")


def test_manifest_is_installable_and_its_icons_have_their_sizes(page, live_server, catalogue):
    block_outside(page.context)
    page.goto(live_server.url + "/")
    href = page.get_attribute("link[rel=manifest]", "href")
    response = page.request.get(live_server.url + href)
    assert response.ok and response.headers["content-type"].startswith("application/manifest+json")
    manifest = response.json()
    assert manifest["name"] == "SIKESAL Kota Jambi" and manifest["short_name"]
    assert manifest["start_url"] == "/" and manifest["scope"] == "/" and manifest["display"] == "standalone"
    assert "Kota Jambi" in manifest["description"] and "Laporkan" in manifest["description"]  # Indonesian
    assert manifest["theme_color"] == "#0b5cab" and manifest["background_color"] == "#f6f7f9"
    sizes = {}
    for icon in manifest["icons"]:
        got = page.request.get(live_server.url + icon["src"])
        assert got.ok and got.headers["content-type"] == "image/png"
        img = Image.open(io.BytesIO(got.body()))
        assert f"{img.width}x{img.height}" == icon["sizes"]
        sizes.setdefault(icon.get("purpose", "any"), set()).add(icon["sizes"])
    assert {"192x192", "512x512"} <= sizes["any"] and "512x512" in sizes["maskable"]
    sw = page.request.get(live_server.url + "/sw.js")
    assert sw.headers["service-worker-allowed"] == "/" and sw.headers["cache-control"] == "no-cache"
    assert sw.headers["content-type"].startswith("application/javascript")
    assert "SIKESAL_SW_CONFIG" not in sw.text() and '"version": "' in sw.text()


def test_service_worker_controls_the_page_and_the_app_starts_offline(page, live_server, catalogue, artifacts):
    context = page.context
    block_outside(context)
    page.goto(live_server.url + "/")
    controlled(page)
    scope = page.evaluate("async () => (await navigator.serviceWorker.ready).scope")
    assert scope == live_server.url + "/"
    context.set_offline(True)
    try:
        # Installability, Lighthouse-style: the start URL answers 200 from the cache without a network.
        response = page.goto(live_server.url + "/")
        assert response.status == 200 and response.from_service_worker
        expect(page.locator("h1")).to_contain_text("Laporkan masalah pelayanan publik")
        page.goto(live_server.url + "/lapor/")
        expect(page.locator("#report-form")).to_be_visible()
        # A page never visited: the offline page, in Indonesian.
        page.goto(live_server.url + "/statistik/")
        expect(page.locator("#offline-title")).to_have_text("Anda sedang luring")
        # Personal pages are never kept: the offline page again, not a copy.
        page.goto(live_server.url + "/saya/")
        expect(page.locator("#offline-title")).to_be_visible()
        page.screenshot(path=f"{artifacts}/offline.png", full_page=True)
    finally:
        context.set_offline(False)
    cached = page.evaluate(
        """async () => { const out = [];
           for (const name of await caches.keys()) { for (const r of await (await caches.open(name)).keys()) out.push(new URL(r.url).pathname); }
           return out; }"""
    )
    assert "/" in cached and "/offline/" in cached and "/lapor/" in cached
    assert not [
        p for p in cached if p.startswith(("/saya/", "/kantor/", "/admin/", "/api/", "/pelapor/", "/lapor/terkirim/"))
    ]


def test_a_report_filed_offline_waits_and_arrives_exactly_once(page, live_server, catalogue, artifacts, tmp_path):
    context = page.context
    block_outside(context)
    page.goto(live_server.url + "/lapor/")
    controlled(page)
    context.set_offline(True)
    fill_report(page, tmp_path)
    page.click("#submit-report")
    panel = page.locator("#outbox-panel")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("Laporan menunggu sinyal")
    expect(page.locator("#outbox-list li")).to_have_count(1)
    expect(page.locator("#title")).to_have_value("")  # the form is free for the next report
    # The app is closed and opened again, still without a signal: the report is still waiting.
    page.reload()
    expect(page.locator("#outbox-list li")).to_have_count(1)
    expect(page.locator("#outbox-list li")).to_contain_text("Lampu jalan mati")
    page.screenshot(path=f"{artifacts}/waiting.png", full_page=True)
    assert Complaint.objects.count() == 0

    context.set_offline(False)  # the signal returns: the page's `online` event (and Background Sync) send it
    sent = page.locator(".outbox-tracking")
    expect(sent).to_have_count(1, timeout=20_000)
    tracking = sent.inner_text().strip()
    expect(page.locator("#outbox-list li")).to_have_count(0)
    page.screenshot(path=f"{artifacts}/sent.png", full_page=True)
    time.sleep(2)  # a second sender (the worker's sync, another tab) would have arrived by now
    assert list(Complaint.objects.values_list("tracking_number", flat=True)) == [tracking]
    complaint = Complaint.objects.get()
    # the phone's own key, bound to this browser (web:<browser>:pwa-…): a replay from elsewhere files anew
    assert complaint.idempotency_key.startswith("web:") and ":pwa-" in complaint.idempotency_key
    assert complaint.reporter.name == "Siti Aminah"
    attachment = complaint.attachments.get()
    with attachment.file.open("rb") as fh:
        img = Image.open(fh)
        assert max(img.size) == 1600 and img.format == "JPEG"  # made smaller on the phone

    # Opening the app again sends nothing more; the report is listed on this device, readable offline.
    page.goto(live_server.url + "/perangkat/")
    expect(page.locator("#device-reports li")).to_have_count(1)
    expect(page.locator("#device-reports .device-number")).to_have_text(tracking)
    expect(page.locator("#device-reports .device-status")).to_have_text("Diterima, menunggu verifikasi")  # from /lacak/
    context.set_offline(True)
    page.reload()
    expect(page.locator("#device-reports .device-status")).to_have_text("Diterima, menunggu verifikasi")
    expect(page.locator("#device-message")).to_contain_text("luring")
    context.set_offline(False)
    assert Complaint.objects.count() == 1


def test_a_report_sent_again_with_its_key_is_one_report(page, live_server, catalogue, tmp_path):
    """The answer to a send was lost (the server filed it): the outbox sends it again with the same key."""
    block_outside(page.context)
    page.goto(live_server.url + "/lapor/")
    controlled(page)
    fill_report(page, tmp_path)
    key = page.input_value("input[name=idempotency_key]")
    fields = page.evaluate(
        """() => { const out = []; for (const [k, v] of new FormData(document.getElementById('report-form')))
                   if (typeof v === 'string' && k !== 'csrfmiddlewaretoken' && k !== 'idempotency_key') out.push([k, v]);
                   return out; }"""
    )
    entry = {"key": key, "created": 1, "title": "Lampu", "fields": fields, "files": []}
    results = page.evaluate(
        """async (entry) => { const out = [];
             for (let i = 0; i < 2; i++) {
               await SikesalOutbox.put('outbox', entry);
               out.push(await SikesalOutbox.flush('/lapor/'));
             } return out; }""",
        entry,
    )
    assert [r["sent"] for r in results] == [results[0]["sent"]] * 2 and len(results[0]["sent"]) == 1
    assert Complaint.objects.count() == 1 and Complaint.objects.get().tracking_number == results[0]["sent"][0]


def test_a_draft_survives_a_reload_until_deleted(page, live_server, catalogue):
    block_outside(page.context)
    page.goto(live_server.url + "/lapor/")
    page.select_option("#service", "lampu-jalan")
    page.fill("#title", "Lampu mati di depan masjid")
    page.fill("#body", "Sudah tiga malam gelap, warga takut lewat.")
    page.click("#more-privacy > summary")
    page.check("input[name=is_secret]")
    expect(page.locator("#draft-status")).to_have_text("Draf disimpan di perangkat ini.")
    page.reload()
    expect(page.locator("#title")).to_have_value("Lampu mati di depan masjid")
    expect(page.locator("#body")).to_have_value("Sudah tiga malam gelap, warga takut lewat.")
    expect(page.locator("#service")).to_have_value("lampu-jalan")
    expect(page.locator("input[name=is_secret]")).to_be_checked()
    expect(page.locator("#draft-status")).to_have_text("Laporan Anda yang belum selesai dipulihkan.")
    page.click("#draft-clear")
    expect(page.locator("#title")).to_have_value("")
    page.reload()
    expect(page.locator("#title")).to_have_value("")
    expect(page.locator("#draft-bar")).to_be_hidden()


def test_a_report_filed_online_clears_its_draft_and_is_kept_on_the_device(page, live_server, catalogue, tmp_path):
    block_outside(page.context)
    page.goto(live_server.url + "/lapor/")
    fill_report(page, tmp_path)
    page.click("#submit-report")
    page.wait_for_selector("#tracking-number")
    tracking = page.inner_text("#tracking-number").strip()
    assert Complaint.objects.get().tracking_number == tracking
    page.goto(live_server.url + "/lapor/")
    expect(page.locator("#title")).to_have_value("")
    page.goto(live_server.url + "/perangkat/")
    expect(page.locator("#device-reports .device-number")).to_have_text(tracking)


def test_refused_location_falls_back_to_the_kelurahan_lists(browser, live_server, catalogue):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, permissions=[])
    block_outside(context)
    page = context.new_page()
    page.goto(live_server.url + "/lapor/")
    page.click("#locate")
    expect(page.locator("#locate-status")).to_contain_text("Pilih kecamatan dan kelurahan", timeout=20_000)
    expect(page.locator("#kecamatan")).to_be_focused()
    context.close()


def test_camera_input_and_the_form_posts_without_javascript(browser, live_server, catalogue, tmp_path):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740})
    page = context.new_page()
    block_outside(context)
    page.goto(live_server.url + "/lapor/")
    camera = page.locator("#camera")
    assert camera.get_attribute("capture") == "environment" and camera.get_attribute("accept") == "image/*"
    assert page.is_hidden("#outbox-panel") and page.is_hidden("#locate")
    page.select_option("#service", "lampu-jalan")
    page.fill("#title", "Lampu jalan mati di Jl. Sultan Agung")
    page.fill("#body", "Tiga lampu PJU mati sejak minggu lalu, jalan gelap dan rawan kejahatan.")
    page.select_option("#area", "15.71.01.1001")
    page.set_input_files("#camera", str(photo(tmp_path)))
    page.click("#submit-report")
    page.wait_for_selector("#tracking-number")
    complaint = Complaint.objects.get()
    assert complaint.tracking_number == page.inner_text("#tracking-number").strip()
    assert complaint.attachments.count() == 1
    context.close()


def test_bytes_on_first_and_later_visits(browser, live_server, catalogue, artifacts):
    """Measured, not asserted tightly: what a phone downloads on its first visit and on the next one."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    block_outside(context)
    sizes = []

    def record(request):
        if request.url.startswith(live_server.url):
            response = request.response()
            if response and not response.from_service_worker:
                sizes.append((request.url, request.sizes()["responseBodySize"]))

    context.on("requestfinished", record)
    page = context.new_page()
    page.goto(live_server.url + "/")
    controlled(page)
    page.goto(live_server.url + "/lapor/")
    page.wait_for_load_state("networkidle")
    first = sum(s for _u, s in sizes)
    first_list = list(sizes)
    sizes.clear()
    page.goto(live_server.url + "/")
    page.goto(live_server.url + "/lapor/")
    page.wait_for_load_state("networkidle")
    later = sum(s for _u, s in sizes)
    report = {"first_visit_bytes": first, "later_visit_bytes": later, "first": first_list, "later": sizes}
    with open(f"{artifacts}/bytes.json", "w") as fh:
        json.dump(report, fh, indent=1)
    print(f"\nbytes: first visit (/, /lapor/) {first}, later visit {later}")
    assert later < first
    context.close()
