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
