"""Two people act on one report at the same instant: exactly one change applies."""

import threading

import pytest
from django.db import connection

from sikesal.complaints import lifecycle
from sikesal.complaints.errors import ConcurrentChange, LifecycleError
from sikesal.complaints.models import Complaint, Event
from sikesal.complaints.states import Status


@pytest.mark.django_db(transaction=True)
def test_concurrent_verify_applies_once(in_state, actors, opd, other_opd):
    complaint = in_state("received")
    barrier = threading.Barrier(2)
    outcomes = []

    def verify(institution):
        try:
            barrier.wait(timeout=10)
            lifecycle.transition(complaint.pk, "verify", actors["admin"], institution=institution.pk)
            outcomes.append("ok")
        except LifecycleError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=verify, args=(inst,)) for inst in (opd, other_opd)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["invalid_transition", "ok"]
    complaint.refresh_from_db()
    assert complaint.status == Status.DISPOSITIONED
    assert complaint.version == 1
    assert Event.objects.filter(complaint=complaint, action="verify").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_followups_both_apply_in_order(in_state, actors):
    """Actions that are valid in either order both apply, serialised; none is lost."""
    complaint = in_state("in_progress")
    barrier = threading.Barrier(4)
    errors = []

    def followup(i):
        try:
            barrier.wait(timeout=10)
            lifecycle.transition(complaint.pk, "add_followup", actors["liaison"], message=f"Tindak lanjut {i}")
        except Exception as exc:  # any failure is a lost update
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=followup, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    complaint.refresh_from_db()
    assert complaint.version == 2 + 4  # verify, start, then four follow-ups
    assert Event.objects.filter(complaint=complaint, action="add_followup").count() == 4


def test_stale_form_is_refused(in_state, act, actors, opd):
    complaint = in_state("received")
    seen_version = complaint.version
    act(complaint, "request_info")
    with pytest.raises(ConcurrentChange):
        lifecycle.transition(complaint, "verify", actors["admin"], expected_version=seen_version, institution=opd.pk)
    assert Complaint.objects.get(pk=complaint.pk).status == Status.PENDING_INFO
