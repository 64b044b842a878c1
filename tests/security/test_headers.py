"""Item 17 of issue 16: a strict Content-Security-Policy that the pages really satisfy, and HTTPS settings
that `check --deploy` accepts when SIKESAL_SECURE_COOKIES=1."""

import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

PUBLIC_PAGES = ["/", "/lapor/", "/laporan/", "/statistik/", "/lacak/", "/masuk/", "/kantor/masuk/"]


def policy(response):
    header = response.headers.get("Content-Security-Policy", "")
    return dict((part.split(" ", 1) + [""])[:2] for part in (p.strip() for p in header.split(";")) if part)


def assert_nothing_the_policy_blocks(html):
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert "<style" not in html, "inline style element"
    assert not re.search(r"\sstyle=", html), "style attribute"
    assert not re.search(r"\son[a-z]+=", html), "event handler attribute"
    assert not re.search(r"<(?:script|link)[^>]+(?:src|href)=\"(?:https?:)?//", html), "resource from another site"


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_public_pages_have_a_strict_policy_and_obey_it(client, in_state, url):
    in_state("dispositioned")
    response = client.get(url)
    assert response.status_code == 200
    csp = policy(response)
    assert csp["default-src"] == "'self'" and csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
    assert csp["object-src"] == "'none'" and csp["frame-ancestors"] == "'none'"
    assert "unsafe" not in response.headers["Content-Security-Policy"]
    assert "https://tile.openstreetmap.org" in csp["img-src"]  # the map tiles still load
    assert_nothing_the_policy_blocks(response.content.decode())


def test_private_and_back_office_pages_obey_the_policy(client, users, in_state):
    complaint = in_state("dispositioned")
    client.force_login(users["admin"])
    for url in ["/kantor/", reverse("backoffice:report", args=[complaint.tracking_number])]:
        response = client.get(url)
        assert response.status_code == 200 and policy(response)["script-src"] == "'self'"
        assert_nothing_the_policy_blocks(response.content.decode())


def test_the_two_factor_setup_page_obeys_the_policy(client, users):
    users["admin"].set_password("kata-sandi-kuat-1")
    users["admin"].save()
    client.post(reverse("backoffice:login"), {"username": "admin", "password": "kata-sandi-kuat-1"})
    response = client.get(reverse("backoffice:login_code"))
    assert "Content-Security-Policy" in response.headers
    assert_nothing_the_policy_blocks(response.content.decode())


def check_deploy(tmp_path, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith("SIKESAL_") and k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        env={
            **base,
            "SIKESAL_DATA_DIR": str(tmp_path / "var"),
            "SIKESAL_SECRET_KEY": "a-long-random-production-secret-" + "x" * 40,
            "SIKESAL_ALLOWED_HOSTS": "sikesal.jambikota.go.id",
            **env,
        },
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
    )


def test_check_deploy_with_secure_cookies_has_no_https_warnings(tmp_path):
    result = check_deploy(tmp_path, SIKESAL_SECURE_COOKIES="1", SIKESAL_TRUSTED_PROXIES="1")
    output = result.stdout + result.stderr
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning not in output, output


def test_https_is_enforced_when_secure(client, catalogue, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    redirect = client.get("/laporan/")
    assert redirect.status_code == 301 and redirect["Location"].startswith("https://")
    assert client.get("/healthz").status_code == 200  # the probe is exempt
    assert "max-age=31536000" in client.get("/laporan/", secure=True).headers["Strict-Transport-Security"]
