"""Item 1 of issue 17: the map pin works in Indonesian, the default language, and the report keeps its place.
Item 5 of issue 30: the map's controls speak the page's language, the pin can be placed with the keyboard, and
"use my location" refuses a place outside Kota Jambi before anything is sent."""

import pytest
from django.conf import settings
from playwright.sync_api import expect

from sikesal.complaints.models import Complaint
from tests.browser_steps import block_outside
from tests.conftest import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_tapping_the_map_in_indonesian_stores_the_coordinates(page, live_server, catalogue, artifacts):
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    block_outside(page)
    page.goto(live_server.url + "/lapor/")  # no language cookie: Indonesian
    assert page.get_attribute("html", "lang") == "id"
    page.wait_for_selector("#map:not([hidden]) .leaflet-control-zoom")  # the map loaded, with zoom controls

    page.tap("#map", position={"x": 180, "y": 140})
    assert page.input_value("#latitude") and page.input_value("#longitude")
    lat, lng = float(page.input_value("#latitude")), float(page.input_value("#longitude"))
    assert -1.70 <= lat <= -1.52 and 103.50 <= lng <= 103.72  # inside Kota Jambi
    assert page.query_selector(".leaflet-marker-icon")
    page.screenshot(path=f"{artifacts}/pin.png", full_page=True)

    page.select_option("#service", "sampah")
    page.fill("#title", "Sampah menumpuk di TPS")
    page.fill("#body", "Sampah tidak diangkut selama empat hari dan baunya sampai ke rumah warga.")
    page.select_option("#area", "15.71.04.1003")
    page.click("#submit-report")
    page.wait_for_selector("#tracking-number")
    complaint = Complaint.objects.get(tracking_number=page.inner_text("#tracking-number").strip())
    assert complaint.latitude == pytest.approx(lat, abs=1e-6) and complaint.longitude == pytest.approx(lng, abs=1e-6)
    assert errors == []


def open_form(browser, live_server, language="id", **context_options):
    context = browser.new_context(viewport={"width": 360, "height": 740}, **context_options)
    if language != "id":
        host = live_server.url.split("//")[1].split(":")[0]
        context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "domain": host, "path": "/"}])
    page = context.new_page()
    block_outside(page)
    page.goto(live_server.url + "/lapor/")
    page.wait_for_selector("#map:not([hidden]) .leaflet-control-zoom")
    return context, page


@pytest.mark.parametrize(
    ("language", "zoom_in", "zoom_out", "marker"),
    [("id", "Perbesar", "Perkecil", "Penanda lokasi laporan"), ("en", "Zoom in", "Zoom out", "Report location marker")],
)
def test_the_map_speaks_the_page_language(browser, live_server, catalogue, language, zoom_in, zoom_out, marker):
    context, page = open_form(browser, live_server, language)
    assert page.get_attribute(".leaflet-control-zoom-in", "aria-label") == zoom_in
    assert page.get_attribute(".leaflet-control-zoom-out", "aria-label") == zoom_out
    page.click("#map", position={"x": 180, "y": 140})
    assert page.get_attribute(".leaflet-marker-icon", "alt") == marker
    if language == "id":
        assert "Zoom" not in page.inner_html("#map") and 'alt="Marker"' not in page.inner_html("#map")
    context.close()


def test_the_pin_is_placed_with_the_keyboard(browser, live_server, catalogue):
    context, page = open_form(browser, live_server)
    page.focus("#service")
    for _ in range(20):  # Tab through the form until the map has the focus, as a keyboard user would
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "map":
            break
    assert page.evaluate("document.activeElement.id") == "map"
    assert page.is_visible(".crosshair")  # the spot Enter will choose
    page.keyboard.press("Enter")  # the pin at the cross: the city's middle
    wait_until(lambda: page.input_value("#longitude") != "")
    middle = float(page.input_value("#longitude"))

    def moved_east():
        # Leaflet drops a key pressed while the map still moves: press again until the map has gone east.
        page.keyboard.press("+")  # closer, so the city's bounds leave room to move
        page.keyboard.press("ArrowRight")
        page.keyboard.press("Enter")
        return float(page.input_value("#longitude")) > middle + 0.002

    wait_until(moved_east, every=0.3)
    lat, lng = float(page.input_value("#latitude")), float(page.input_value("#longitude"))
    assert -1.70 <= lat <= -1.52 and 103.50 <= lng <= 103.72
    assert page.query_selector(".leaflet-marker-icon")
    assert "Penanda ditaruh" in page.inner_text("#locate-status")
    context.close()


def test_my_location_outside_kota_jambi_is_refused_at_once(browser, live_server, catalogue):
    jakarta = {"latitude": -6.2, "longitude": 106.82}
    context, page = open_form(browser, live_server, geolocation=jakarta, permissions=["geolocation"])
    page.click("#locate")
    expect(page.locator("#locate-status")).to_contain_text("di luar Kota Jambi")
    assert page.input_value("#latitude") == "" and page.input_value("#longitude") == ""
    assert not page.query_selector(".leaflet-marker-icon")

    context.close()

    in_the_city = {"latitude": -1.61, "longitude": 103.61}
    context, page = open_form(browser, live_server, geolocation=in_the_city, permissions=["geolocation"])
    page.click("#locate")
    expect(page.locator("#locate-status")).to_contain_text("Lokasi ditandai di peta")
    assert page.input_value("#latitude") == "-1.610000" and page.input_value("#longitude") == "103.610000"
    assert page.query_selector(".leaflet-marker-icon")
    context.close()


def test_the_public_map_names_each_marker_by_its_report(page, live_server, in_state):
    complaint = in_state("dispositioned")
    block_outside(page)
    page.goto(live_server.url + "/laporan/")
    page.wait_for_selector("#map:not([hidden]) .leaflet-marker-icon")
    assert page.get_attribute(".leaflet-control-zoom-in", "aria-label") == "Perbesar"
    assert page.get_attribute(".leaflet-marker-icon", "alt") == complaint.title
