"""Side effects are enqueued in the transaction of the change, and the worker carries them out."""

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction

from sikesal.complaints import effect_queue, effects
from sikesal.complaints.models import Complaint, Event, PendingEffect


def queued():
    return PendingEffect.objects.count()


def test_transition_enqueues_in_the_same_transaction(in_state, act):
    complaint = in_state("received")
    before = queued()
    with pytest.raises(RuntimeError), transaction.atomic():
        act(complaint, "request_info")
        assert queued() == before + 1
        raise RuntimeError("the request fails after the change")
    # rolled back together: no status change, no event, no task
    complaint.refresh_from_db()
    assert complaint.status == "received"
    assert queued() == before
    assert not Event.objects.filter(complaint=complaint, action="request_info").exists()


@pytest.mark.django_db(transaction=True)
def test_worker_mails_the_reporter(in_state, act):
    complaint = in_state("received")
    act(complaint, "verify")
    call_command("worker", batch=True, no_scheduler=True, interval=0)
    assert queued() == 0
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
    assert PendingEffect.objects.get().handlers == [effect_queue.handler_name(bad)]
    PendingEffect.objects.update(run_after=timezone.now())  # the backoff passes
    call_command("worker", batch=True, no_scheduler=True, interval=0)
    assert calls == {"good": 1, "bad": 2}  # only the failed handler ran again


@pytest.mark.django_db(transaction=True)
def test_side_effects_run_in_batches_and_one_bad_event_does_not_fail_its_batch(submit, monkeypatch):
    batches, singles = [], []

    def handler(event):
        singles.append(event.complaint.tracking_number)
        if "rusak" in event.complaint.title:
            raise ValueError("one bad text")

    def whole(events):
        batches.append([e.complaint.tracking_number for e in events])
        for event in events:
            if "rusak" in event.complaint.title:
                raise ValueError("one bad text")

    monkeypatch.setattr(effects, "handlers", lambda: [handler])
    monkeypatch.setattr(effects, "batched", lambda h: whole if h is handler else None)
    complaints = [submit(title=f"Sampah menumpuk {i}") for i in range(3)]
    assert effect_queue.drain() == 3
    assert batches == [[c.tracking_number for c in complaints]] and singles == []  # one call for the three
    assert queued() == 0

    bad, ok = submit(title="Jalan rusak parah"), submit(title="Sampah menumpuk lagi")
    effect_queue.drain()
    assert singles == [bad.tracking_number, ok.tracking_number]  # the batch failed: each alone, to find the culprit
    left = PendingEffect.objects.get()  # only the bad one waits for another attempt
    assert left.event.complaint_id == bad.pk and left.attempt == 2


@pytest.mark.django_db(transaction=True)
def test_side_effects_left_by_a_killed_worker_run_once_when_its_lease_ends(submit):
    import datetime as dt

    from django.utils import timezone

    complaint = submit()
    assert len(effect_queue.claim()) == 1  # a worker took the batch and died before finishing it
    mail.outbox.clear()
    call_command("worker", batch=True, no_scheduler=True, interval=0)
    assert mail.outbox == []  # its lease still holds: no one else runs it yet
    PendingEffect.objects.update(leased_until=timezone.now() - dt.timedelta(seconds=1))
    call_command("worker", batch=True, no_scheduler=True, interval=0)
    assert [m.to for m in mail.outbox] == [["budi@example.com"]]
    assert complaint.tracking_number in mail.outbox[0].subject
    assert queued() == 0


@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_at_once_never_take_the_same_events(submit):
    import threading

    from django.db import connection

    for i in range(40):
        submit(title=f"Sampah menumpuk {i}")
    taken, barrier = [], threading.Barrier(2)

    def worker():
        try:
            barrier.wait()
            taken.append([row.pk for row in effect_queue.claim(limit=25)])
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    first, second = taken
    assert not set(first) & set(second)  # SKIP LOCKED on PostgreSQL, the write lock on SQLite
    assert len(first) + len(second) == 40


def test_every_batched_counterpart_belongs_to_a_handler_and_loads():
    assert set(effects.BATCHED) <= set(effects.HANDLERS)
    assert all(
        callable(effects.batched(h)) for h in effects.handlers() if effect_queue.handler_name(h) in effects.BATCHED
    )


def test_handler_names_are_read_without_importing_the_handlers():
    """effect_queue.handler_names reads effects.HANDLERS as the handlers' names (the set-based sweep does
    not import them): each path must be the name handler_name gives the imported handler."""
    assert effect_queue.handler_names() == [effect_queue.handler_name(h) for h in effects.handlers()]
    assert effect_queue.handler_names(skip=effects.DIGESTED) == [
        effect_queue.handler_name(h) for h in effects.handlers() if effect_queue.handler_name(h) not in effects.DIGESTED
    ]
