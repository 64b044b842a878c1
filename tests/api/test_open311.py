"""Open311 GeoReport v2: every response validated against JSON Schemas from the specification, the XML
against the same structure; content types and status codes; the lifecycle behind it."""

import datetime as dt

import httpx
import pytest

from sikesal.accounts.models import ApiKey
from sikesal.complaints.models import Complaint
from sikesal.complaints.states import Status
from tests.api.open311_check import check
from tests.conftest import T0

JSON, XML = "application/json; charset=utf-8", "text/xml; charset=utf-8"


def get(client, path, kind, status=200, **params):
    """GET `path` in both formats; each is validated (tests/api/conftest.py); returns the JSON data."""
    results = []
    for fmt in ("json", "xml"):
        response = client.get(f"/open311/v2/{path}.{fmt}", params)
        assert response.status_code == status, (fmt, response.content)
        results.append(check(response.content, response["Content-Type"], kind, fmt))
    return results[0]


@pytest.fixture
def api_key(catalogue, opd):
    # A back-office system of Dinas PUPR: files, reads, and acts on Dinas PUPR's reports only.
    key = ApiKey(name="Kios kecamatan", scopes=["reports:file", "reports:read", "reports:act"], institution=opd)
    key.set_key("kunci-open311-uji")
    key.save()
    return "kunci-open311-uji"


FORM = {
    "service_code": "pipa-bocor",
    "lat": "-1.6101",
    "long": "103.6131",
    "description": "Pipa PDAM bocor di depan <b>rumah</b> nomor 12, air menyembur ke jalan sejak pagi.",
    "attribute[besar_bocor]": "menyembur",
    "first_name": "Rina",
    "last_name": "Wati",
    "email": "rina@example.com",
    "phone": "081298765432",
}


def post(client, fmt="json", **data):
    return client.post(f"/open311/v2/requests.{fmt}", data)


def test_discovery_and_services(client, catalogue):
    get(client, "discovery", "discovery")
    services = get(client, "services", "services")
    assert len(services) == 70 + 1  # the catalogue, and "lainnya" for a report filed with no service
    definition = get(client, "services/pipa-bocor", "service_definition")
    assert [a["code"] for a in definition["attributes"]] == ["nomor_pelanggan", "besar_bocor"]
    get(client, "services/tidak-ada", "errors", status=404)
    get(client, "services", "errors", status=404, jurisdiction_id="bukan-kota")


def test_post_creates_a_report_through_the_lifecycle(client, api_key, act):
    response = post(client, api_key=api_key, jurisdiction_id="jambikota.go.id", **FORM)
    assert response.status_code == 200 and response["Content-Type"] == JSON  # the spec's 200, not 201
    number = response.json()[0]["service_request_id"]
    c = Complaint.objects.get(tracking_number=number)
    assert c.channel == "open311" and c.status == Status.RECEIVED and c.answers == {"besar_bocor": "menyembur"}
    assert c.reporter.email == "rina@example.com" and "<b>" not in c.body
    xml = post(client, "xml", api_key=api_key, **{**FORM, "description": FORM["description"] + " (xml)"})
    assert xml.status_code == 200 and xml["Content-Type"] == XML
    # followable at once with the minimal record; the full one only after verification; never personal fields
    minimal = get(client, f"requests/{number}", "requests")[0]
    assert minimal["status"] == "open" and minimal["description"] is None and minimal["lat"] is None
    act(c, "verify")
    row = get(client, f"requests/{number}", "requests")[0]
    assert row["agency_responsible"].startswith("Dinas Pekerjaan Umum") and row["expected_datetime"]
    assert "Rina" not in str(row)


@pytest.mark.parametrize(
    "change,status,code",
    [
        ({"api_key": "salah"}, 403, "api_key"),
        ({"service_code": "teleportasi"}, 404, "service_code"),
        ({"lat": "", "long": ""}, 400, "lat"),
        ({"lat": "-6.2", "long": "106.8"}, 400, "location"),
        ({"description": "x" * 4001}, 400, "description"),
        ({"attribute[besar_bocor]": "tsunami"}, 400, "attribute[besar_bocor]"),
    ],
)
def test_bad_posts(client, api_key, change, status, code):
    data = {**FORM, "api_key": api_key, **change}
    response = post(client, **data)
    assert response.status_code == status
    assert response.json()[0]["code"] == status  # an integer, as in the spec
    assert code in response.json()[0]["description"]
    assert Complaint.objects.count() == 0


def test_address_id_instead_of_coordinates(client, api_key):
    data = {**FORM, "api_key": api_key, "lat": "", "long": "", "address_id": "15.71.08.1004"}
    assert post(client, **data).status_code == 200
    assert Complaint.objects.get().area.name == "Lebak Bandung"


def test_listing_filters_pages_and_hides_rahasia(clock, client, submit, act):
    clock.move_to(T0 + dt.timedelta(days=1), tick=False)  # the newest public report a day after the others
    public = []
    for i in range(3):
        c = submit(title=f"Laporan {i}", now=dt.datetime.now(dt.UTC) - dt.timedelta(days=i))
        act(c, "verify")
        public.append(c.tracking_number)
    secret = submit(is_secret=True)
    act(secret, "verify")
    waiting = submit()  # not verified: listed, with the minimal record
    rows = get(client, "requests", "requests")
    assert sorted(r["service_request_id"] for r in rows) == sorted([*public, waiting.tracking_number])
    assert [r["description"] for r in rows if r["service_request_id"] == waiting.tracking_number] == [None]
    assert len(get(client, "requests", "requests", page_size=3, page=2)) == 1
    # a rahasia report only when asked for by id, and then minimal
    chosen = get(client, "requests", "requests", service_request_id=f"{public[0]},{secret.tracking_number}")
    by_id = {r["service_request_id"]: r for r in chosen}
    assert by_id[public[0]]["description"] and by_id[secret.tracking_number]["description"] is None
    get(
        client,
        "requests",
        "errors",
        status=400,
        start_date="2026-01-01T00:00:00+07:00",
        end_date="2026-06-01T00:00:00+07:00",
    )
    ext = get(client, "requests", "requests", extensions="true")
    assert ext[0]["extended_attributes"]["kecamatan"] == "Jelutung" and ext[0]["notes"]


@pytest.mark.parametrize("page", ["99999999999999999999", "9223372036854775807", "1000001"])
def test_a_page_past_any_report_is_an_empty_list_not_an_error(client, submit, act, page):
    act(submit(), "verify")
    assert get(client, "requests", "requests", page=page, page_size=1000) == []


@pytest.mark.parametrize("page", ["0", "-3"])
def test_a_page_before_the_first_is_the_first(client, submit, act, page):
    act(submit(), "verify")
    assert get(client, "requests", "requests", page=page) == get(client, "requests", "requests")


def test_tokens_and_updates_both_ways(client, api_key, in_state):
    c = in_state("dispositioned")
    get(client, f"tokens/{c.tracking_number}", "token")
    response = post(
        client, api_key=api_key, service_request_id=c.tracking_number, status="fixed", description="Sudah diperbaiki."
    )
    response = client.post(
        "/open311/v2/servicerequestupdates.json",
        {
            "api_key": api_key,
            "service_request_id": c.tracking_number,
            "status": "fixed",
            "description": "Sudah diperbaiki.",
        },
    )
    assert response.status_code == 200
    c.refresh_from_db()
    assert c.status == Status.FOLLOWED_UP
    updates = get(client, "servicerequestupdates", "updates", start_date="2020-01-01T00:00:00+07:00")
    assert any(u["external_status_code"] == "complete_followup" for u in updates)
    dup = client.post(
        "/open311/v2/servicerequestupdates.json",
        {"api_key": api_key, "service_request_id": c.tracking_number, "status": "duplicate"},
    )
    assert dup.status_code == 400
    nokey = client.post(
        "/open311/v2/servicerequestupdates.json", {"service_request_id": c.tracking_number, "status": "fixed"}
    )
    assert nokey.status_code == 403


@pytest.mark.django_db(transaction=True)
def test_real_http_post_then_seen_in_back_office_and_track_page(live_server, api_key, users, client):
    response = httpx.post(f"{live_server.url}/open311/v2/requests.json", data={**FORM, "api_key": api_key}, timeout=10)
    assert response.status_code == 200
    number = response.json()[0]["service_request_id"]
    back = httpx.get(f"{live_server.url}/open311/v2/requests/{number}.json", timeout=10)
    assert back.status_code == 200 and back.json()[0]["description"] is None  # minimal before verification
    track = httpx.get(f"{live_server.url}/lacak/{number}/", timeout=10)
    assert track.status_code == 200 and number in track.text and "Rina" not in track.text
    client.force_login(users["admin"])
    inbox = client.get("/kantor/?antrian=baru").content.decode()
    assert number in inbox
