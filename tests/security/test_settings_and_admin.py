"""Item 16 (the rest) of issue 16: /admin/ for non-admin staff, strict JSON settings, and a deployment
without SIKESAL_SECRET_KEY."""

import os
import subprocess
import sys

import pytest
from django.conf import settings


def test_non_admin_staff_visiting_the_admin_land_in_the_back_office(client, users):
    client.force_login(users["liaison"])
    response = client.get("/admin/", follow=True)  # the test client raises on a redirect loop
    assert response.redirect_chain[-1][0] == "/kantor/"
    assert response.status_code == 200
    assert "tidak memiliki akses ke halaman administrasi" in response.content.decode()


def start(tmp_path, *args, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith("SIKESAL_") and k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "manage.py", *(args or ("check",))],
        env={**base, "SIKESAL_DATA_DIR": str(tmp_path / "var"), **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SIKESAL_DEADLINES", '{"verify_workingdays": 2}'),
        ("SIKESAL_ESCALATION", '{"reminder_days_before": 1}'),
        ("SIKESAL_OMBUDSMAN", '{"overdue_days": 5}'),
        ("SIKESAL_CITY_BOUNDS", '{"south": -1.7, "nort": -1.5}'),
        ("SIKESAL_PERIODIC", '{"sweep": {"task": "sikesal.complaints.tasks.sweep_deadlines", "every": 60}}'),
        ("SIKESAL_DEADLINES", "[1, 2]"),
    ],
)
def test_a_typo_in_a_json_setting_stops_the_start(tmp_path, name, value):
    result = start(tmp_path, **{name: value})
    assert result.returncode != 0
    assert name in result.stderr


def test_known_json_keys_are_still_accepted(tmp_path):
    result = start(tmp_path, SIKESAL_DEADLINES='{"verify_working_days": 2}', SIKESAL_SECRET_KEY="k" * 60)
    assert result.returncode == 0, result.stderr


def test_production_without_a_secret_key_warns_and_fails_check_deploy(tmp_path):
    result = start(tmp_path, "check", "--deploy", SIKESAL_SECURE_COOKIES="1", SIKESAL_ALLOWED_HOSTS="sikesal.example")
    assert result.returncode != 0
    assert "sikesal.E001" in result.stderr
    assert "SIKESAL_SECRET_KEY is not set" in result.stderr  # the loud warning at start


def test_with_a_secret_key_the_check_passes(tmp_path):
    result = start(
        tmp_path,
        "check",
        "--deploy",
        SIKESAL_SECURE_COOKIES="1",
        SIKESAL_ALLOWED_HOSTS="sikesal.example",
        SIKESAL_SECRET_KEY="a-long-random-production-secret-" + "x" * 40,
    )
    assert "sikesal.E001" not in result.stderr and "SIKESAL_SECRET_KEY is not set" not in result.stderr


# --- Issue 26 item 1: Django's admin follows the role, through the policy ---------------------------------


def test_an_admin_koordinator_uses_django_admin_without_any_flag(client, users):
    admin = users["admin"]
    assert not admin.is_staff and not admin.is_superuser  # created by role alone, as the admin form does
    client.force_login(admin)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/accounts/user/").status_code == 200
    assert client.get("/admin/accounts/apikey/add/").status_code == 200
    assert client.get("/admin/login/")["Location"] == "/admin/"  # already in: no detour to the back office


@pytest.mark.parametrize("flags", [{"is_staff": True}, {"is_staff": True, "is_superuser": True}])
def test_django_flags_on_an_opd_account_open_nothing(client, users, flags):
    liaison = users["liaison"]
    for name, value in flags.items():
        setattr(liaison, name, value)
    liaison.save()
    client.force_login(liaison)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/kantor/"
    for path in ("/admin/accounts/user/", "/admin/accounts/apikey/add/"):
        assert client.get(path).status_code == 302, path
    assert not liaison.has_perm("accounts.change_user")


def test_createsuperuser_makes_an_admin_koordinator(client, db):
    from django.core.management import call_command

    from sikesal.accounts.models import User

    call_command("createsuperuser", username="kominfo", email="k@example.id", interactive=False, verbosity=0)
    user = User.objects.get(username="kominfo")
    assert user.role == "admin"
    client.force_login(user)
    assert client.get("/admin/accounts/user/").status_code == 200


def test_the_seeded_admin_uses_django_admin_and_the_seeded_opd_does_not(client, db, catalogue):
    from django.core.management import call_command

    from sikesal.accounts.models import User

    call_command("seed_demo", no_reports=True)
    client.force_login(User.objects.get(username="admin"))
    assert client.get("/admin/accounts/apikey/").status_code == 200
    client.force_login(User.objects.get(username="pupr"))
    assert client.get("/admin/accounts/apikey/").status_code == 302
