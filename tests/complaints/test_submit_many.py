"""submit_many: the bulk counterpart of submit writes the same rows under the same rules."""

import pytest

from sikesal.complaints import submission
from sikesal.complaints.errors import InvalidInput, NotAllowed
from sikesal.complaints.models import Complaint, Event, PendingEffect, Reporter
from sikesal.complaints.policy import Actor
from tests.conftest import T0, report_data

COMPARED = (
    "type",
    "channel",
    "title",
    "body",
    "incident_date",
    "latitude",
    "longitude",
    "area_id",
    "address",
    "service_id",
    "answers",
    "is_anonymous",
    "is_secret",
    "status",
    "version",
    "submitted_at",
    "status_changed_at",
    "verify_due_at",
    "final_due_at",
    "target_due_at",
    "due_at",
    "next_sweep_at",
    "overdue_marks",
)


def _row(c):
    c.refresh_from_db()
    reporter = Reporter.objects.filter(complaint=c).first()
    event = Event.objects.get(complaint=c)
    return (
        {name: getattr(c, name) for name in COMPARED},
        reporter and (reporter.name, reporter.phone, reporter.email, reporter.nik),
        (event.action, event.actor_role, event.actor_label, event.to_status, event.visibility, event.payload),
        PendingEffect.objects.filter(event=event).count(),
    )


def test_the_same_reports_as_submit_one_by_one(catalogue):
    actor = Actor.system("SP4N-LAPOR!")
    variants = [
        {},
        {"is_anonymous": True, "reporter": {}},
        {"is_secret": True, "service": None, "area": None, "latitude": None, "longitude": None},
        {"type": "aspirasi", "incident_date": "2026-10-30"},
    ]
    singles = [
        submission.submit(actor, report_data(idempotency_key=f"one-key-{i}", **v), now=T0).complaint
        for i, v in enumerate(variants)
    ]
    results = submission.submit_many(
        actor, [report_data(idempotency_key=f"many-key-{i}", **v) for i, v in enumerate(variants)], now=T0
    )
    for single, result in zip(singles, results, strict=True):
        assert _row(single) == _row(result.complaint)
        assert result.complaint.tracking_number != single.tracking_number
        assert result.complaint.check_secret(result.secret)
        assert (
            result.secret
            == submission.submit(actor, report_data(idempotency_key=result.complaint.idempotency_key)).secret
        )


def test_refusals_repeats_and_known_keys(catalogue):
    actor = Actor.system("SP4N-LAPOR!")
    known = submission.submit(actor, report_data(idempotency_key="known-key-1"), now=T0).complaint
    results = submission.submit_many(
        actor,
        [
            report_data(idempotency_key="known-key-1"),  # filed before: replayed
            report_data(idempotency_key="fresh-key-1", body="pendek"),  # refused, nothing written
            report_data(idempotency_key="fresh-key-2"),
            report_data(idempotency_key="fresh-key-2"),  # twice in the batch: one report
        ],
        now=T0,
    )
    assert results[0].replayed and results[0].complaint.pk == known.pk
    assert isinstance(results[1], InvalidInput) and "body" in results[1].fields
    assert not results[2].replayed and results[3].replayed
    assert results[2].complaint.pk == results[3].complaint.pk
    assert Complaint.objects.count() == 2


def test_taken_tracking_numbers_are_drawn_again_as_submit_does(catalogue, monkeypatch):
    actor = Actor.system("SP4N-LAPOR!")
    taken = submission.submit(actor, report_data(), now=T0).complaint.tracking_number
    draws = iter([taken, taken, "JBI-2611-AAAA", "JBI-2611-AAAA", "JBI-2611-BBBB"])
    monkeypatch.setattr(submission, "new_tracking_number", lambda now, length=4: next(draws))
    results = submission.submit_many(actor, [report_data(), report_data()], now=T0)
    assert sorted(r.complaint.tracking_number for r in results) == ["JBI-2611-AAAA", "JBI-2611-BBBB"]


def test_only_those_who_may_submit(catalogue, users):
    with pytest.raises(NotAllowed):
        submission.submit_many(Actor.for_user(users["liaison"]), [report_data()])


def test_a_number_taken_meanwhile_is_drawn_again_and_every_row_follows_it(catalogue, monkeypatch):
    """Another report can take the drawn number between the look-up and the insert: the report is filed
    under a new number, with its reporter row and first event on it, and the first report untouched."""
    first = submission.submit(Actor.system("test"), report_data(), now=T0).complaint
    drawn = iter([first.tracking_number])
    real = submission._unused_tracking_number
    monkeypatch.setattr(submission, "_unused_tracking_number", lambda now, n: next(drawn, None) or real(now, n))
    second = submission.submit(
        Actor.system("test"), report_data(reporter={"name": "Sari", "phone": "081311112222"}), now=T0
    )
    c = Complaint.objects.get(pk=second.complaint.pk)
    assert c.tracking_number != first.tracking_number and c.tracking_number == second.complaint.tracking_number
    assert Reporter.objects.get(complaint=c).name == "Sari"
    assert list(Event.objects.filter(complaint=c).values_list("action", flat=True)) == ["submit"]
    assert PendingEffect.objects.filter(event=second.event).count() == 1
    assert Reporter.objects.get(complaint=first).name == "Budi Santoso" and first.events.count() == 1
    assert Complaint.objects.count() == 2
