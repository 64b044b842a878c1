"""Staff log-in: TOTP (RFC 6238), required for the admin koordinator; lockout; Django admin behind it."""

import re
import time

import pytest
from django.urls import reverse

from sikesal.accounts import totp
from sikesal.accounts.models import User


def test_rfc6238_vector():
    # RFC 6238 appendix B, SHA-1, T=59 s: 94287082 (8 digits); our 6 digits are its last six.
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of "12345678901234567890"
    assert totp.code_at(secret, 59 // 30, digits=8) == "94287082"
    assert totp.matching_counter(secret, "287082", now=59) == 1
    assert totp.matching_counter(secret, "287082", now=59 + 120) is None
    assert totp.matching_counter(secret, "abc") is None


def set_password(user, password="kata-sandi-kuat-1"):
    user.set_password(password)
    user.save()
    return password


def test_admin_must_set_up_two_factor(client, users):
    password = set_password(users["admin"])
    response = client.post(reverse("backoffice:login"), {"username": "admin", "password": password})
    assert response["Location"] == reverse("backoffice:login_code")
    assert client.get(reverse("backoffice:inbox")).status_code == 302  # not logged in yet
    page = client.get(reverse("backoffice:login_code")).content.decode()
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    wrong = client.post(reverse("backoffice:login_code"), {"code": "000000"})
    assert wrong.status_code == 400
    code = totp.code_at(secret, int(time.time() // 30))
    assert client.post(reverse("backoffice:login_code"), {"code": code})["Location"] == reverse("backoffice:inbox")
    assert client.get(reverse("backoffice:inbox")).status_code == 200
    admin = User.objects.get(username="admin")
    assert admin.totp_confirmed
    # the same code cannot be used twice
    client.logout()
    client.post(reverse("backoffice:login"), {"username": "admin", "password": password})
    assert client.post(reverse("backoffice:login_code"), {"code": code}).status_code == 400


def test_opd_liaison_without_two_factor_logs_in_with_password(client, users):
    password = set_password(users["liaison"])
    response = client.post(reverse("backoffice:login"), {"username": "pupr", "password": password})
    assert response["Location"] == reverse("backoffice:inbox")
    from sikesal.backoffice.models import AuditEntry

    assert AuditEntry.objects.filter(kind="login", user=users["liaison"]).count() == 1


def test_lockout_after_repeated_failures(client, users, settings):
    settings.SIKESAL_LOGIN_MAX_FAILURES = 3
    password = set_password(users["liaison"])
    for _ in range(3):
        assert client.post(reverse("backoffice:login"), {"username": "pupr", "password": "salah"}).status_code == 400
    locked = client.post(reverse("backoffice:login"), {"username": "pupr", "password": password})
    assert locked.status_code == 400  # even the right password waits out the lock, from this address
    from sikesal.backoffice.models import AuditEntry

    assert AuditEntry.objects.filter(kind="login_failed", user__username="pupr").count() == 3


def test_citizen_cannot_use_the_staff_login(client, users):
    password = set_password(users["citizen"])
    assert client.post(reverse("backoffice:login"), {"username": "warga", "password": password}).status_code == 400


def test_next_is_kept_and_never_points_elsewhere(client, users):
    password = set_password(users["liaison"])
    ok = client.post(
        reverse("backoffice:login") + "?next=/kantor/laporan/X/",
        {"username": "pupr", "password": password, "next": "/kantor/laporan/X/"},
    )
    assert ok["Location"] == "/kantor/laporan/X/"
    client.logout()
    evil = client.post(
        reverse("backoffice:login"), {"username": "pupr", "password": password, "next": "https://evil.example/"}
    )
    assert evil["Location"] == reverse("backoffice:inbox")


@pytest.mark.parametrize("path", ["/admin/", "/admin/login/?next=/admin/"])
def test_django_admin_goes_through_our_login(client, path):
    response = client.get(path, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("backoffice:login"))
