import pytest
from django.core.management import call_command
from django.test import override_settings

from sikesal.accounts.models import ApiKey, User
from sikesal.catalogue.models import Area, Institution, Service
from sikesal.complaints import policy
from sikesal.complaints.models import Complaint
from sikesal.core import scheduler
from sikesal.core.models import PeriodicRun


@pytest.mark.django_db
def test_seed_demo_loads_kota_jambi_and_is_idempotent():
    call_command("seed_demo")
    counts = (Institution.objects.count(), Service.objects.count(), Complaint.objects.count(), User.objects.count())
    call_command("seed_demo")
    assert (
        Institution.objects.count(),
        Service.objects.count(),
        Complaint.objects.count(),
        User.objects.count(),
    ) == counts
    city_opds = Institution.objects.exclude(kind__in=["external", "kecamatan", "kelurahan"])
    assert city_opds.count() >= 25
    assert Institution.objects.filter(kind="external").count() >= 5
    assert Service.objects.filter(active=True).count() == 70
    assert Area.objects.filter(level="kecamatan").count() == 11
    assert Area.objects.filter(level="kelurahan").count() == 68
    assert Area.objects.get(code="15.71.01.1001").parent.name == "Telanaipura"
    assert Service.objects.get(code="pipa-bocor").default_institution.short_name == "Tirta Mayang"
    assert Service.objects.get(code="lampu-jalan").target_hours == 24
    assert {u.role for u in User.objects.all()} >= {"admin", "opd_liaison", "ombudsman"}
    assert User.objects.get(username="pupr").institution.short_name == "Dinas PUPR"
    assert ApiKey.lookup("demo") is not None
    assert policy.admins_to_alert().exclude(email="").exists()  # a fresh demo's alarms reach someone
    assert ApiKey.lookup("wrong") is None


@pytest.mark.django_db
@override_settings(
    SIKESAL_PERIODIC={"sweep_deadlines": {"task": "sikesal.complaints.tasks.sweep_deadlines", "every_seconds": 60}}
)
def test_periodic_job_runs_once_per_slot_across_workers():
    assert scheduler.run_due_jobs("worker-a", now=6000.0) == ["sweep_deadlines"]
    assert scheduler.run_due_jobs("worker-b", now=6030.0) == []  # same minute, another worker
    assert scheduler.run_due_jobs("worker-b", now=6061.0) == ["sweep_deadlines"]
    assert PeriodicRun.objects.count() == 2


def test_admin_creates_an_api_key_shown_once(client, users):
    users["admin"].is_superuser = users["admin"].is_staff = True
    users["admin"].save()
    client.force_login(users["admin"])
    data = {"name": "Bot WhatsApp", "scopes": ["reports:file"], "rate_limit_per_minute": 60, "active": "on"}
    response = client.post("/admin/accounts/apikey/add/", data, follow=True)
    key = ApiKey.objects.get(name="Bot WhatsApp")
    shown = " ".join(m.message for m in response.context["messages"])
    value = next(word for word in shown.split() if word.startswith(key.prefix))
    assert ApiKey.lookup(value.rstrip(".")) == key
    assert key.scopes == ["reports:file"] and key.institution is None


def test_the_admin_form_refuses_an_acting_key_without_an_institution(client, users):
    users["admin"].is_superuser = users["admin"].is_staff = True
    users["admin"].save()
    client.force_login(users["admin"])
    data = {"name": "Sistem OPD", "scopes": ["reports:act"], "rate_limit_per_minute": 60, "active": "on"}
    response = client.post("/admin/accounts/apikey/add/", data)
    assert response.status_code == 200 and not ApiKey.objects.filter(name="Sistem OPD").exists()
