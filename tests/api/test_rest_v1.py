"""REST API v1: API keys with scopes and limits, idempotent creation, policy on reads, problem details."""

import io

import pytest
from django.core.management import call_command

from sikesal.accounts.models import ApiKey
from sikesal.complaints.models import Complaint
from tests.complaints.test_intake import jpeg_with_gps

REPORT = {
    "service": "pipa-bocor",
    "title": "Pipa PDAM bocor di Jl. Gatot Subroto",
    "body": "Air menyembur dari pipa di pinggir jalan sejak pagi, jalan licin dan tergenang.",
    "area": "15.71.02.1006",
    "answers": {"besar_bocor": "menyembur"},
    "reporter": {"name": "Rina", "phone": "081298765432"},
}


@pytest.fixture
def key(catalogue):
    api_key = ApiKey(name="Aplikasi super Kota Jambi", scopes=["reports:read", "reports:write"])
    api_key.set_key("kunci-mitra-uji-123")
    api_key.save()
    return {"HTTP_X_API_KEY": "kunci-mitra-uji-123"}


def post(client, headers, data=REPORT, **extra):
    return client.post("/api/v1/reports", data, content_type="application/json", **headers, **extra)


def test_create_is_idempotent_and_private(client, key):
    first = post(client, key, HTTP_IDEMPOTENCY_KEY="order-0001")
    again = post(client, key, HTTP_IDEMPOTENCY_KEY="order-0001")
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["tracking_number"] == again.json()["tracking_number"] and again.json()["replayed"]
    c = Complaint.objects.get()
    assert c.channel == "api" and c.reporter.phone == "081298765432"
    # the partner reads only what the public may: not yet verified, so not found
    assert client.get(f"/api/v1/reports/{c.tracking_number}", **key).status_code == 404


def test_bad_input_is_a_problem_document(client, key):
    response = post(client, key, {**REPORT, "body": "x", "latitude": -6.2, "longitude": 106.8})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "invalid_report" and {"body", "location"} <= set(problem["errors"])
    assert Complaint.objects.count() == 0
    missing = post(client, key, {"title": "tanpa layanan"})
    assert missing.status_code == 422 and missing.json()["code"] == "invalid_request"


def test_auth_scope_and_rate_limit(client, key, clock):
    assert post(client, {}).status_code == 401
    assert post(client, {"HTTP_X_API_KEY": "salah"}).status_code == 401
    read_only = ApiKey(name="Kios", scopes=["reports:read"], rate_limit_per_minute=2)
    read_only.set_key("kunci-kios-uji-456")
    read_only.save()
    headers = {"HTTP_X_API_KEY": "kunci-kios-uji-456"}
    assert post(client, headers).status_code == 403  # missing scope
    assert client.get("/api/v1/reports", **headers).status_code == 200
    third = client.get("/api/v1/reports", **headers)
    assert third.status_code == 429 and third["Retry-After"] == "60"


def test_multipart_with_a_photo(client, key):
    photo = io.BytesIO(jpeg_with_gps())
    photo.name = "pipa.jpg"
    data = {k: v for k, v in REPORT.items() if k not in ("reporter", "answers")}
    data.update(answers='{"besar_bocor": "mengalir"}', reporter_name="Rina", attachments=photo)
    response = client.post("/api/v1/reports/upload", data, **key)
    assert response.status_code == 201, response.content
    assert Complaint.objects.get().attachments.count() == 1


def test_list_cursor_and_policy(client, key, submit, act, users):
    made = []
    for i in range(5):
        c = submit(title=f"Laporan nomor {i}")
        act(c, "verify")
        made.append(c.tracking_number)
    hidden = submit(is_secret=True)
    act(hidden, "verify")
    seen, cursor = [], None
    while True:
        page = client.get("/api/v1/reports", {"limit": 2, **({"cursor": cursor} if cursor else {})}, **key).json()
        seen += [r["tracking_number"] for r in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(made)  # rahasia reports are never listed for partners
    assert client.get(f"/api/v1/reports/{hidden.tracking_number}", **key).status_code == 404
    client.force_login(users["admin"])  # staff see it, content included
    assert client.get(f"/api/v1/reports/{hidden.tracking_number}").json()["body"] == hidden.body
    assert "Budi" not in str(client.get(f"/api/v1/reports/{made[0]}/timeline", **key).json())


def test_lifecycle_action_with_a_staff_session(client, users, in_state, opd):
    c = in_state("received")
    client.force_login(users["admin"])
    response = client.post(
        f"/api/v1/reports/{c.tracking_number}/actions/verify",
        {"institution": opd.pk, "version": c.version},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["status"] == "dispositioned"
    client.force_login(users["other_liaison"])
    assert (
        client.post(
            f"/api/v1/reports/{c.tracking_number}/actions/start", {}, content_type="application/json"
        ).status_code
        == 404
    )


def test_catalogue_statistics_and_openapi(client, catalogue):
    assert len(client.get("/api/v1/catalogue/services").json()) == 70
    assert {a["level"] for a in client.get("/api/v1/catalogue/areas").json()} == {"kecamatan", "kelurahan"}
    assert "by_status" in client.get("/api/v1/statistics").json()
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/reports" in spec["paths"] and spec["info"]["title"] == "SIKESAL API"
    assert client.get("/api/v1/docs").status_code == 200


def test_seeded_demo_key_works(client, db):
    call_command("seed_demo", no_reports=True)
    assert client.get("/api/v1/reports", HTTP_X_API_KEY="demo").status_code == 200


@pytest.mark.parametrize(
    "path,params",
    [
        ("/api/v1/reports", {"limit": 50}),
        ("/laporan/", {}),
        ("/laporan/peta.json", {}),
    ],
)
def test_lists_cost_the_same_queries_at_any_size(client, key, submit, act, django_assert_max_num_queries, path, params):
    """A partner's or a visitor's list is a fixed number of queries, not one more per row."""

    def reports(n):
        for i in range(n):
            c = submit(title=f"Lampu jalan mati nomor {i}", latitude=-1.61, longitude=103.61)
            act(c, "verify")
            act(c, "add_followup", message=f"Sudah diperiksa petugas {i}")

    reports(2)
    with django_assert_max_num_queries(12) as few:
        small = client.get(path, params, **key)
    reports(18)
    with django_assert_max_num_queries(len(few.captured_queries)):
        large = client.get(path, params, **key)
    assert small.status_code == large.status_code == 200
    assert len(large.content) > len(small.content)


def test_a_revoked_key_stops_working(client, key, monkeypatch):
    """Keys are kept in each process for a moment: a revocation saved here applies at once, one made
    elsewhere (here: an update that sends no signal) within ApiKey's KEY_CACHE_SECONDS."""
    from sikesal.accounts import models as account_models

    clock = [5000.0]
    monkeypatch.setattr(account_models.time, "monotonic", lambda: clock[0])
    assert client.get("/api/v1/reports", **key).status_code == 200
    api_key = ApiKey.objects.get(prefix="kunci-mi")
    api_key.active = False
    api_key.save()
    assert client.get("/api/v1/reports", **key).status_code == 401
    ApiKey.objects.filter(pk=api_key.pk).update(active=True)
    clock[0] += account_models.KEY_CACHE_SECONDS
    assert client.get("/api/v1/reports", **key).status_code == 200
    ApiKey.objects.filter(pk=api_key.pk).update(active=False)  # as another process's admin would
    clock[0] += account_models.KEY_CACHE_SECONDS
    assert client.get("/api/v1/reports", **key).status_code == 401
    assert post(client, key).status_code == 401 and not Complaint.objects.exists()
