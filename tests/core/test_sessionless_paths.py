"""The cheap calls partner apps repeat pay only for what applies to them (#31), and lose no protection:
no session, log-in or flash-message work on Open311 and webhooks; an unknown API path answers in the
API's own small format; every security header stays."""

import pytest

SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy")


def test_an_unknown_api_path_is_the_apis_own_small_404(client, db):
    response = client.get("/api/v1/tidak-ada/sama-sekali")
    assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found" and len(response.content) < 400
    assert all(response.has_header(h) for h in SECURITY_HEADERS)
    assert client.get("/tidak-ada/").status_code == 404  # a person's 404 is still the portal's page
    assert "text/html" in client.get("/tidak-ada/")["Content-Type"]


@pytest.mark.parametrize("path", ["/open311/v2/services.json", "/open311/v2/tidak-ada.json", "/healthz"])
def test_a_partner_call_reads_no_session_and_keeps_every_security_header(client, users, catalogue, path):
    client.force_login(users["admin"])  # a browser that also holds a staff session
    response = client.get(path)
    assert all(response.has_header(h) for h in SECURITY_HEADERS)
    assert not hasattr(response.wsgi_request, "session") and not hasattr(response.wsgi_request, "user")
    assert "Cookie" not in response.get("Vary", "") and not response.cookies


def test_a_page_still_has_its_session_and_log_in(client, users):
    client.force_login(users["admin"])
    response = client.get("/kantor/")
    assert response.status_code == 200 and response.wsgi_request.user.is_authenticated


def test_pages_and_api_answers_are_compressed_for_a_phone(client, catalogue):
    page = client.get("/lapor/", headers={"accept-encoding": "gzip"})
    plain = client.get("/lapor/")
    assert page["Content-Encoding"] == "gzip" and "Accept-Encoding" in page["Vary"]
    assert len(page.content) < len(plain.content) / 2
    assert not plain.has_header("Content-Encoding")  # a client that does not ask gets it plain
    services = client.get("/open311/v2/services.json", headers={"accept-encoding": "gzip"})
    assert services["Content-Encoding"] == "gzip"


def test_a_photo_is_not_compressed_again(client, submit, act):
    from sikesal.complaints.models import Attachment
    from tests.api.test_open311_clients import jpeg

    c = submit(files=[("satu.jpg", jpeg())])
    act(c, "verify")
    token = Attachment.objects.get(complaint=c).token
    photo = client.get(f"/lampiran/{token}/", headers={"accept-encoding": "gzip"})
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    assert not photo.has_header("Content-Encoding")
