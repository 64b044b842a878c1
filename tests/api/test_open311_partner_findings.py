"""What the second round of partner testing found in Open311 (#30 items 9 and 10): the status codes the spec
gives, the null/empty convention, the serviceless report, and a partner's own lookup budget."""

import pytest

from sikesal.accounts.models import ApiKey
from sikesal.complaints.models import Complaint
from tests.api.test_open311 import FORM, get

UPDATES = "/open311/v2/servicerequestupdates.json"


@pytest.fixture
def pupr_key(catalogue, opd):
    key = ApiKey(name="Sistem PUPR", scopes=["reports:file", "reports:read", "reports:act"], institution=opd)
    key.set_key("kunci-pupr")
    key.save()
    return "kunci-pupr"


@pytest.fixture
def other_key(catalogue, other_opd):
    key = ApiKey(name="Sistem OPD lain", scopes=["reports:read", "reports:act"], institution=other_opd)
    key.set_key("kunci-opd-lain")
    key.save()
    return "kunci-opd-lain"


def test_post_without_service_code_is_a_bad_request_not_a_missing_one(client, pupr_key):
    form = {k: v for k, v in FORM.items() if k != "service_code"}
    response = client.post("/open311/v2/requests.json", {**form, "api_key": pupr_key})
    assert response.status_code == 400 and "service_code" in response.json()[0]["description"]
    unknown = client.post("/open311/v2/requests.json", {**FORM, "service_code": "teleportasi", "api_key": pupr_key})
    assert unknown.status_code == 404


def test_update_without_service_request_id_is_a_bad_request(client, pupr_key):
    response = client.post(UPDATES, {"api_key": pupr_key, "status": "fixed"})
    assert response.status_code == 400 and "service_request_id" in response.json()[0]["description"]


def test_a_key_refused_on_a_report_it_can_read_is_forbidden_not_missing(client, other_key, in_state):
    c = in_state("dispositioned")  # Dinas PUPR's, public: the other OPD's system reads it
    assert get(client, f"requests/{c.tracking_number}", "requests")[0]["description"]
    response = client.post(UPDATES, {"api_key": other_key, "service_request_id": c.tracking_number, "status": "fixed"})
    assert response.status_code == 403
    c.refresh_from_db()
    assert c.status == "dispositioned"
    assert (
        client.post(
            UPDATES, {"api_key": other_key, "service_request_id": "JBI-0000-NONE", "status": "fixed"}
        ).status_code
        == 404
    )


def test_a_wrong_api_key_on_a_get_is_refused_as_docs_say(client, catalogue, pupr_key):
    get(client, "services", "errors", status=403, api_key="salah")
    assert len(get(client, "services", "services", api_key=pupr_key)) > 1  # the right one is fine
    get(client, "services", "services")  # and none is fine


def test_a_cross_origin_browser_post_is_refused_not_executed(client, pupr_key, settings):
    before = Complaint.objects.count()
    response = client.post(
        "/open311/v2/requests.json", {**FORM, "api_key": pupr_key}, headers={"Origin": "https://jahat.example"}
    )
    assert response.status_code == 403 and Complaint.objects.count() == before
    settings.SIKESAL_OPEN311_CORS_POST_ORIGINS = ["https://peta.example.org"]
    allowed = client.post(
        "/open311/v2/requests.json", {**FORM, "api_key": pupr_key}, headers={"Origin": "https://peta.example.org"}
    )
    assert allowed.status_code == 200 and allowed["Access-Control-Allow-Origin"] == "https://peta.example.org"
    server = client.post("/open311/v2/requests.json", {**FORM, "api_key": pupr_key})  # no Origin: a server
    assert server.status_code == 200 and Complaint.objects.count() == before + 2


def test_an_empty_address_is_null_in_a_full_record_as_in_a_minimal_one(client, submit, act):
    c = submit(address="")
    act(c, "verify")
    row = get(client, f"requests/{c.tracking_number}", "requests")[0]
    assert row["description"] and row["address"] is None


def test_a_report_waiting_for_its_reporter_says_so_not_none(client, in_state):
    c = in_state("pending_info")
    note = get(client, f"requests/{c.tracking_number}", "requests")[0]["status_notes"]
    assert "None" not in note and "pelapor" in note


def test_a_serviceless_report_is_listed_under_a_service_the_catalogue_lists(client, submit, act):
    c = submit(service="")
    act(c, "verify")
    row = get(client, f"requests/{c.tracking_number}", "requests")[0]
    assert row["service_code"] == "lainnya" and row["service_name"]
    assert "lainnya" in [s["service_code"] for s in get(client, "services", "services")]
    assert get(client, "services/lainnya", "service_definition")["attributes"] == []


def test_a_partner_files_under_the_uncategorised_service(client, pupr_key):
    form = {k: v for k, v in FORM.items() if not k.startswith("attribute")}
    response = client.post("/open311/v2/requests.json", {**form, "service_code": "lainnya", "api_key": pupr_key})
    assert response.status_code == 200
    c = Complaint.objects.get(tracking_number=response.json()[0]["service_request_id"])
    assert c.service is None  # the admin chooses it when verifying


def test_a_partner_following_its_reports_has_its_own_budget(client, pupr_key, submit, settings):
    settings.SIKESAL_RATE_LIMITS = {**settings.SIKESAL_RATE_LIMITS, "track_per_ip_per_minute": 3}
    c = submit()
    for _ in range(3):
        assert client.get(f"/open311/v2/requests/{c.tracking_number}.json").status_code == 200
    assert client.get(f"/open311/v2/requests/{c.tracking_number}.json").status_code == 429
    for _ in range(10):  # the same address, naming its key: the key's budget (60 a minute), not the address's
        assert client.get(f"/open311/v2/requests/{c.tracking_number}.json", {"api_key": pupr_key}).status_code == 200


def test_kept_answers_change_at_once_with_the_report_and_the_catalogue(client, submit, act, catalogue):
    """requests/{id} and services.json are served from memory (#31); a change must still show at once."""
    from sikesal.catalogue.models import Service

    c = submit()
    assert get(client, f"requests/{c.tracking_number}", "requests")[0]["description"] is None
    act(c, "verify")
    assert get(client, f"requests/{c.tracking_number}", "requests")[0]["description"]  # not the kept minimal one
    before = {s["service_code"]: s["service_name"] for s in get(client, "services", "services")}
    service = Service.objects.get(code="jalan-rusak")
    service.name = "Jalan rusak parah"
    service.save()
    after = {s["service_code"]: s["service_name"] for s in get(client, "services", "services")}
    assert before["jalan-rusak"] != after["jalan-rusak"] == "Jalan rusak parah"
