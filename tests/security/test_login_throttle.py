"""Item 16 (log-in) of issue 16: wrong passwords are throttled per address, and cannot lock someone else out."""

import pytest
from django.urls import reverse

from sikesal.accounts.models import User

PASSWORD = "kata-sandi-kuat-1"


@pytest.fixture
def admin(users):
    users["admin"].set_password(PASSWORD)
    users["admin"].save()
    return users["admin"]


def log_in(client, username, password, ip):
    return client.post(reverse("backoffice:login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_wrong_passwords_from_one_address_do_not_lock_the_admin_elsewhere(client, admin):
    for _ in range(10):
        assert log_in(client, "admin", "salah", "198.51.100.7").status_code == 400
    # the attacker's address is refused even with the right password...
    assert log_in(client, "admin", PASSWORD, "198.51.100.7").status_code == 400
    # ...while the admin, from the office, reaches the second factor
    assert log_in(client, "admin", PASSWORD, "10.20.0.5")["Location"] == reverse("backoffice:login_code")
    assert User.objects.get(pk=admin.pk).locked_until is None


def test_one_address_guessing_many_user_names_is_throttled(client, users, settings):
    settings.SIKESAL_LOGIN_MAX_FAILURES_PER_IP = 10
    users["liaison"].set_password(PASSWORD)
    users["liaison"].save()
    for i in range(10):
        log_in(client, f"tebakan-{i}", "salah", "198.51.100.8")
    refused = log_in(client, "pupr", PASSWORD, "198.51.100.8")
    assert refused.status_code == 400 and "_auth_user_id" not in client.session
    assert log_in(client, "pupr", PASSWORD, "10.20.0.6")["Location"] == reverse("backoffice:inbox")
