"""Side effects are enqueued in the transaction of the change, and the worker carries them out."""

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from sikesal.complaints import effects
from sikesal.complaints.models import Complaint, Event


def queued(name):
    return DBTaskResult.objects.filter(task_path__endswith=name, status="READY").count()


def test_transition_enqueues_in_the_same_transaction(in_state, act):
    complaint = in_state("received")
    before = queued("dispatch_event")
    with pytest.raises(RuntimeError), transaction.atomic():
        act(complaint, "request_info")
        assert queued("dispatch_event") == before + 1
        raise RuntimeError("the request fails after the change")
    # rolled back together: no status change, no event, no task
    complaint.refresh_from_db()
    assert complaint.status == "received"
    assert queued("dispatch_event") == before
    assert not Event.objects.filter(complaint=complaint, action="request_info").exists()


@pytest.mark.django_db(transaction=True)
def test_worker_mails_the_reporter(in_state, act):
    complaint = in_state("received")
    act(complaint, "verify")
    call_command("worker", batch=True, no_scheduler=True, interval=0)
    assert queued("dispatch_event") == 0
    subjects = [m.subject for m in mail.outbox]
    assert len(subjects) == 2  # receipt and disposition
    assert all(complaint.tracking_number in s for s in subjects)
    assert mail.outbox[0].to == ["budi@example.com"]


@pytest.mark.django_db(transaction=True)
def test_staff_only_events_are_not_mailed(in_state, act):
    complaint = in_state("in_progress")
    call_command("worker", batch=True, no_scheduler=True, interval=0)
    mail.outbox.clear()
    act(complaint, "add_followup", internal=True)
    call_command("worker", batch=True, no_scheduler=True, interval=0)
    assert mail.outbox == []
    assert Complaint.objects.get(pk=complaint.pk).status == "in_progress"


@pytest.mark.django_db(transaction=True)
def test_a_failing_handler_is_retried_alone(in_state, act, monkeypatch):
    from django.utils import timezone

    calls = {"good": 0, "bad": 0}

    def good(event):
        calls["good"] += 1

    def bad(event):
        calls["bad"] += 1
        if calls["bad"] == 1:
            raise ConnectionError("mail server down")

    complaint = in_state("received")
    call_command("worker", batch=True, no_scheduler=True, interval=0)
    monkeypatch.setattr(effects, "handlers", lambda: [good, bad])
    act(complaint, "request_info")
    call_command("worker", batch=True, no_scheduler=True, interval=0)
    assert calls == {"good": 1, "bad": 1}
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())  # the backoff passes
    call_command("worker", batch=True, no_scheduler=True, interval=0)
    assert calls == {"good": 1, "bad": 2}  # only the failed handler ran again
