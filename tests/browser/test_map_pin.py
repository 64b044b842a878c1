"""Item 1 of issue 17: the map pin works in Indonesian, the default language, and the report keeps its place."""

import pytest

from sikesal.complaints.models import Complaint
from tests.browser_steps import block_outside

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
