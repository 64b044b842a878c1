"""The retention job changes only what is past its period, once, with several workers at a time."""

import datetime as dt
import os
import threading

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django.utils.module_loading import import_string

from sikesal.backoffice.models import AuditEntry
from sikesal.complaints.models import BlockedSender, Complaint, Reporter
from sikesal.integrations.inbound.models import InboundMessage
from sikesal.privacy import anonymise, retention

DAY = dt.timedelta(days=1)


def closed(in_state, days_ago, now):
    c = in_state("closed_reporter")
    Complaint.objects.filter(pk=c.pk).update(closed_at=now - days_ago * DAY)
    return c


def name_of(c):
    return Reporter.objects.get(complaint=c).name


@pytest.fixture
def periods(settings):
    settings.SIKESAL_RETENTION = {
        "identity": 730, "attachments": 730, "messages": 180, "notifications": 365, "access_logs": 90, "audit": 1825,
    }  # fmt: skip


@pytest.mark.django_db
def test_only_what_is_past_its_period_changes(in_state, submit, periods, tmp_path):
    now = timezone.now()
    old, younger, recent = closed(in_state, 731, now), closed(in_state, 400, now), closed(in_state, 10, now)
    still_open = submit(now=now - 900 * DAY)
    bounce = "email: 550 5.1.1 <budi@example.com>: mailbox unavailable"  # a failure's reason names the address
    for c, addresses in ((younger, "budi@example.com"), (recent, "budi@example.com")):
        c.events.first().notifications.create(channel="email", to=addresses, state="failed", last_error=bounce)
    inbound = {
        days: InboundMessage.objects.create(
            channel="sms", external_id=f"m{days}", sender="+6281234567890", sent_at=now, content={}, raw={}
        )
        for days in (200, 10)
    }
    for days, message in inbound.items():
        InboundMessage.objects.filter(pk=message.pk).update(received_at=now - days * DAY)
    lifted = BlockedSender.objects.create(
        kind="phone", address="+6289999999999", reason="iseng", added_at=now - 900 * DAY, lifted_at=now - 800 * DAY
    )
    active = BlockedSender.objects.create(kind="phone", address="+6288888888888", reason="iseng", added_at=now)
    old_entry = AuditEntry.objects.create(kind="login", reason="")
    AuditEntry.objects.filter(pk=old_entry.pk).update(at=now - 1900 * DAY)
    logs = settings.DATA_DIR / "logs"
    rotated, fresh = logs / "access.log.4.gz", logs / "access.log.1"
    for path in (rotated, fresh):
        path.write_text("203.0.113.9 GET /lacak/\n")
    os.utime(rotated, (now.timestamp() - 100 * 86400,) * 2)

    result = retention.apply(now=now)

    assert result["reports"] == 1
    assert name_of(old) == "" and Complaint.objects.get(pk=old.pk).anonymised_at
    assert name_of(younger) == name_of(recent) == name_of(still_open) == "Budi Santoso"
    assert not Complaint.objects.filter(pk__in=[younger.pk, recent.pk, still_open.pk], anonymised_at__isnull=False)
    # past the notification period (365 days), not the identity one: only the address goes
    [(to, reason, state)] = younger.events.first().notifications.values_list("to", "last_error", "state")
    assert to.startswith("anon:") and reason == "" and state == "failed"
    assert list(recent.events.first().notifications.values_list("to", "last_error")) == [("budi@example.com", bounce)]
    assert list(InboundMessage.objects.values_list("external_id", flat=True)) == ["m10"]
    assert BlockedSender.objects.get(pk=lifted.pk).address.startswith("anon:")
    assert BlockedSender.objects.get(pk=active.pk).address == "+6288888888888"
    assert not AuditEntry.objects.filter(pk=old_entry.pk).exists()
    assert not rotated.exists() and fresh.exists() and (logs / "sikesal.log").exists()
    run = AuditEntry.objects.get(kind="anonymise")
    assert run.detail["reports"] == 1 and run.user is None

    again = retention.apply(now=now)
    assert not any(again.values())  # nothing left: the second run changes nothing and is not audited
    assert AuditEntry.objects.filter(kind="anonymise").count() == 1


@pytest.mark.django_db
def test_a_dry_run_counts_and_changes_nothing(in_state, periods):
    now = timezone.now()
    c = closed(in_state, 800, now)
    counted = retention.apply(now=now, dry_run=True)
    assert counted["reports"] == 1 and name_of(c) == "Budi Santoso"
    assert not AuditEntry.objects.filter(kind="anonymise").exists()
    call_command("apply_retention", "--dry-run")
    assert name_of(c) == "Budi Santoso"


@pytest.mark.django_db
def test_the_periods_come_from_settings(in_state, settings):
    now = timezone.now()
    c = closed(in_state, 40, now)
    settings.SIKESAL_RETENTION = {**settings.SIKESAL_RETENTION, "identity": 30}
    assert retention.apply(now=now)["reports"] == 1 and name_of(c) == ""


def test_the_scheduler_runs_it_daily():
    spec = settings.SIKESAL_PERIODIC["apply_retention"]
    assert spec["every_seconds"] == 86400 and import_string(spec["task"]) is retention.apply_retention


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_do_not_do_the_same_work_twice(in_state, periods, monkeypatch):
    monkeypatch.setattr(anonymise, "CHUNK", 3)
    monkeypatch.setattr(retention, "CHUNK", 3)
    now = timezone.now()
    reports = [closed(in_state, 800, now) for _ in range(12)]
    start, results, errors = threading.Barrier(2), [], []

    def run():
        try:
            start.wait()
            results.append(retention.apply(now=now)["reports"])
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(results) == len(reports)  # each report was taken by exactly one of the runs
    assert sum(e.detail["reports"] for e in AuditEntry.objects.filter(kind="anonymise")) == len(reports)
    assert set(Reporter.objects.filter(complaint__in=reports).values_list("name", flat=True)) == {""}
