"""Item 5 of issue 16: behind the documented nginx, the client's address is the one nginx appended.

nginx (docs/deploy.md) sends `X-Forwarded-For: <whatever the client sent>, <the client's real address>`,
from its own socket address. A client that writes its own X-Forwarded-For must not choose its address.
"""

import pytest
from django.urls import reverse

from sikesal.backoffice.models import AuditEntry

NGINX = "10.0.0.2"


@pytest.fixture
def behind_one_proxy(settings):
    settings.SIKESAL_TRUSTED_PROXIES = 1
    settings.SIKESAL_TRUST_X_FORWARDED_FOR = True  # what the production-like set-up used


def test_a_forged_forwarded_for_is_not_the_audited_address(client, users, behind_one_proxy):
    client.post(
        reverse("backoffice:login"),
        {"username": "admin", "password": "salah"},
        REMOTE_ADDR=NGINX,
        HTTP_X_FORWARDED_FOR="8.8.8.8, 203.0.113.50",
    )
    assert AuditEntry.objects.get(kind="login_failed").ip == "203.0.113.50"


def test_rotating_the_forged_part_does_not_escape_a_per_address_limit(
    client, catalogue, behind_one_proxy, settings, clock
):
    settings.SIKESAL_RATE_LIMITS = {**settings.SIKESAL_RATE_LIMITS, "track_per_ip_per_minute": 3}
    answers = [
        client.get(
            reverse("portal:track_detail", args=["JBI-0000-000000"]),
            REMOTE_ADDR=NGINX,
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}, 198.51.100.9",
        ).status_code
        for n in range(6)
    ]
    assert answers[:3] == [404, 404, 404] and answers[3:] == [429, 429, 429]


def test_by_default_the_header_is_ignored(client, users, settings):
    settings.SIKESAL_TRUSTED_PROXIES = 0
    client.post(
        reverse("backoffice:login"),
        {"username": "admin", "password": "salah"},
        REMOTE_ADDR="192.0.2.10",
        HTTP_X_FORWARDED_FOR="8.8.8.8",
    )
    assert AuditEntry.objects.get(kind="login_failed").ip == "192.0.2.10"


def test_two_proxies_take_the_second_from_the_right(client, users, settings):
    settings.SIKESAL_TRUSTED_PROXIES = 2
    client.post(
        reverse("backoffice:login"),
        {"username": "admin", "password": "salah"},
        REMOTE_ADDR=NGINX,
        HTTP_X_FORWARDED_FOR="8.8.8.8, 203.0.113.50, 10.0.0.1",
    )
    assert AuditEntry.objects.get(kind="login_failed").ip == "203.0.113.50"
