"""The set-based sweep applies the same rules as the one-report sweep: same states, deadlines, marks,
events and SP4N-LAPOR! outbox rows, on random reports; two sweeps at once do not double anything."""

import datetime as dt
import threading

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sikesal.complaints import lifecycle
from sikesal.complaints.models import Complaint, Event, PendingEffect
from sikesal.complaints.policy import Actor
from sikesal.complaints.states import CLOSED_STATES, OPEN_STATES, Status
from sikesal.complaints.sweep import sweep, sweep_bulk, sweep_each
from sikesal.integrations.lapor.models import Outbox, OutboxKind
from tests.conftest import T0

DEADLINES = ("verify_due_at", "info_due_at", "followup_due_at", "reporter_due_at", "final_due_at", "target_due_at")
STATES = sorted(OPEN_STATES) + [Status.CLOSED_ADMIN]
COMPARED = (
    "status",
    "status_changed_at",
    "closed_at",
    *DEADLINES,
    "due_at",
    "next_sweep_at",
    "overdue_marks",
    "version",
    "updated_at",
)

# Offsets around T0, in hours: from two months before to one month after, so that some rungs are due
# and others not, and some deadlines fall on weekends and holidays.
offsets = st.integers(min_value=-60 * 24, max_value=30 * 24)
report = st.fixed_dictionaries(
    {
        "status": st.sampled_from(STATES),
        "deadlines": st.fixed_dictionaries({name: st.none() | offsets for name in DEADLINES}),
        "responded": st.booleans(),
        "marked": st.lists(st.integers(min_value=0, max_value=20), max_size=4),  # rungs already marked
        "stale_sweep_at": st.booleans(),  # next_sweep_at passed though nothing is due
        "lapor": st.sampled_from(["no", "channel", "created"]),
        "opd": st.booleans(),
    }
)


def make_report(i, spec, opd):
    hours = dt.timedelta(hours=1)
    c = Complaint(
        tracking_number=f"SWP-{i:06d}",
        secret_hash=f"{i:064d}",
        title=f"Laporan {i}",
        body="Jalan berlubang.",
        status=spec["status"],
        submitted_at=T0 - 60 * 24 * hours,
        status_changed_at=T0 - 60 * 24 * hours,
        channel="lapor" if spec["lapor"] == "channel" else "web",
        institution=opd if spec["opd"] else None,
        first_response_at=T0 - 50 * 24 * hours if spec["responded"] else None,
        closed_at=T0 - 10 * hours if spec["status"] in CLOSED_STATES else None,
        **{name: None if off is None else T0 + off * hours for name, off in spec["deadlines"].items()},
    )
    active = lifecycle.active_deadlines(c)
    keys = sorted(lifecycle.mark_key(name, active[name], stage) for name, stage in lifecycle.ladder_points(c))
    c.overdue_marks = sorted({keys[k % len(keys)] for k in spec["marked"]}) if keys else []
    lifecycle.refresh_deadlines(c)
    if spec["stale_sweep_at"] and c.status in OPEN_STATES:
        c.next_sweep_at = T0 - 1000 * hours
    c.save()
    if spec["lapor"] == "created":
        Outbox.objects.create(complaint=c, kind=OutboxKind.CREATE, next_attempt_at=T0)
    return c


def snapshot(pks):
    """Everything the sweep writes, without database ids (the two runs number their rows alike or not)."""
    reports = {c["id"]: c for c in Complaint.objects.filter(pk__in=pks).values("id", *COMPARED)}
    events, position = {}, {}
    for e in Event.objects.filter(complaint_id__in=pks).order_by("complaint_id", "created_at", "id"):
        mine = events.setdefault(e.complaint_id, [])
        position[e.pk] = (e.complaint_id, len(mine))
        mine.append(
            (
                e.action,
                e.actor_id,
                e.actor_role,
                e.actor_label,
                e.from_status,
                e.to_status,
                e.visibility,
                e.message,
                e.payload,
                e.created_at,
            )
        )
    outbox = sorted(
        (o.complaint_id, o.kind, position.get(o.event_id)) for o in Outbox.objects.filter(complaint_id__in=pks)
    )
    dispatched = [position[pk] for pk in PendingEffect.objects.values_list("event_id", flat=True) if pk in position]
    return reports, events, outbox, sorted(dispatched), sorted(position.values())


def run(path, pks, now, **kwargs):
    """Run one sweep path and read what it wrote, then undo it all (a savepoint rolled back)."""
    with transaction.atomic():
        PendingEffect.objects.all().delete()
        result = path(now=now, **kwargs)
        seen = snapshot(pks)
        transaction.set_rollback(True)
    return result, seen


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=st.lists(report, min_size=1, max_size=8), at=offsets, batch=st.integers(min_value=1, max_value=5))
def test_bulk_sweep_equals_one_report_sweep(db, catalogue, opd, specs, at, batch):
    now = T0 + dt.timedelta(hours=at)
    with override_settings(LAPOR_BASE_URL="http://lapor.test"), transaction.atomic():  # the outbox recorder on
        pks = [make_report(i, spec, opd).pk for i, spec in enumerate(specs)]
        each, by_each = run(sweep_each, pks, now)
        bulk, by_bulk = run(sweep_bulk, pks, now, batch_size=batch)
        transaction.set_rollback(True)
    assert (bulk.examined, bulk.closed, bulk.archived, bulk.overdue_marked) == (
        each.examined,
        each.closed,
        each.archived,
        each.overdue_marked,
    )
    reports_a, events_a, outbox_a, dispatched_a, all_a = by_each
    reports_b, events_b, outbox_b, dispatched_b, all_b = by_bulk
    assert reports_b == reports_a
    assert events_b == events_a
    assert outbox_b == outbox_a
    # Every new event is dispatched exactly once on both paths (one task per event, or per batch).
    assert dispatched_a == all_a and dispatched_b == all_b


def test_bulk_sweep_examples(submit, act, opd):
    """A few hand-made cases, read by a person: a silent reporter, a missing answer, a late verification."""
    silent = submit()
    act(silent, "verify", now=T0)
    act(silent, "complete_followup", now=T0 + dt.timedelta(days=1))
    asked = submit()
    act(asked, "request_info", now=T0)
    late = submit()
    now = T0 + dt.timedelta(days=40)
    result = sweep(now=now, bulk_over=-1)
    assert result.bulk and (result.closed, result.archived) == (1, 1)
    for c in (silent, asked, late):
        c.refresh_from_db()
    assert silent.status == Status.CLOSED_SYSTEM and silent.next_sweep_at is None and silent.closed_at == now
    assert asked.status == Status.ARCHIVED_SYSTEM
    assert late.status == Status.RECEIVED
    stages = sorted(
        (e.payload["deadline"], e.payload["stage"]) for e in Event.objects.filter(complaint=late, action="mark_overdue")
    )
    assert ("verify_due_at", "escalated") in stages and ("target_due_at", "overdue") in stages
    assert late.next_sweep_at is not None and late.next_sweep_at > now  # the final deadline's rungs remain
    assert sweep(now=now, bulk_over=-1).examined == 0  # nothing twice


def test_few_due_go_through_the_door_many_in_bulk(submit):
    for _ in range(3):
        submit()
    later = T0 + dt.timedelta(days=10)
    assert sweep(now=later, bulk_over=3).bulk is False
    for _ in range(3):
        submit()
    assert sweep(now=later, bulk_over=2).bulk is True


def test_a_batch_costs_a_fixed_number_of_queries(submit, act, settings):
    settings.LAPOR_BASE_URL = "http://lapor.test"
    for i in range(12):
        c = submit()
        if i % 3 == 0:
            act(c, "verify", now=T0)
            act(c, "complete_followup", now=T0)
        if i % 3 == 1:
            act(c, "request_info", now=T0)
    with CaptureQueriesContext(connection) as queries:
        result = sweep_bulk(now=T0 + dt.timedelta(days=60), batch_size=1000)
    assert result.examined == 12 and result.closed == 4 and result.archived == 4
    # claim, update, events, dispatch task, outbox read and write, the digest task, the empty claim and
    # savepoints: not one query per report
    assert len(queries) <= 20, [q["sql"][:80] for q in queries.captured_queries]


def test_a_row_that_moved_on_is_left_to_the_door(submit, act, monkeypatch):
    from sikesal.complaints import sweep as module

    c = submit()
    act(c, "verify", now=T0)
    act(c, "complete_followup", now=T0)
    real = module._write

    def meanwhile(changed):  # a writer slips in between the claim and the update (as if unlocked)
        Complaint.objects.filter(pk=c.pk).update(version=99)
        real(changed)

    monkeypatch.setattr(module, "_write", meanwhile)
    result = sweep_bulk(now=T0 + dt.timedelta(days=30))
    c.refresh_from_db()
    # the batch was rolled back and the report went through the door, which applied its close once
    assert result.closed == 1 and c.status == Status.CLOSED_SYSTEM
    assert Event.objects.filter(complaint=c, action="close_system").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_bulk_sweeps_at_once_do_not_double_events(catalogue, opd, settings):
    settings.LAPOR_BASE_URL = "http://lapor.test"
    specs = [
        {
            "status": [Status.RECEIVED, Status.IN_PROGRESS, Status.FOLLOWED_UP, Status.PENDING_INFO][i % 4],
            "deadlines": dict.fromkeys(DEADLINES, -20 * 24 - i),
            "responded": bool(i % 2),
            "marked": [],
            "stale_sweep_at": False,
            "lapor": "channel",
            "opd": True,
        }
        for i in range(60)
    ]
    pks = [make_report(i, spec, opd).pk for i, spec in enumerate(specs)]
    now = T0
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run_sweep():
        try:
            barrier.wait(timeout=10)
            results.append(sweep_bulk(now=now, batch_size=7))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run_sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    events = list(Event.objects.filter(complaint_id__in=pks).values_list("complaint_id", "action", "payload"))
    keys = [(pk, action, payload.get("deadline"), payload.get("stage")) for pk, action, payload in events]
    assert len(keys) == len(set(keys)), "an event was recorded twice"
    assert sum(r.overdue_marked + r.closed + r.archived for r in results) == len(events)
    assert Complaint.objects.filter(pk__in=pks, next_sweep_at__lte=now).count() == 0
    statuses = set(Complaint.objects.filter(pk__in=pks).values_list("status", flat=True))
    assert statuses == {Status.RECEIVED, Status.IN_PROGRESS, Status.CLOSED_SYSTEM, Status.ARCHIVED_SYSTEM}
    # one outbox row per close/archive on these mirrored reports, none twice
    rows = list(Outbox.objects.filter(complaint_id__in=pks).values_list("event_id", flat=True))
    assert len(rows) == len(set(rows)) == 30


@pytest.fixture
def mailboxes(users):
    for name, user in users.items():
        user.email = f"{name}@jambikota.go.id"
        user.save()
    return users


@pytest.mark.django_db(transaction=True)
def test_bulk_rungs_reach_each_opd_as_one_digest(mailboxes, in_state, other_opd):
    ours = [in_state("dispositioned") for _ in range(5)]
    theirs = in_state("received")
    lifecycle.transition(theirs, "verify", Actor.for_user(mailboxes["admin"]), institution=other_opd.pk)
    call_command("worker", batch=True, no_scheduler=True, interval=0)
    mail.outbox.clear()
    result = sweep(now=ours[0].followup_due_at + dt.timedelta(days=10), bulk_over=-1)
    assert result.bulk and result.overdue_marked >= 6 * 3  # reminder, overdue, escalated of the follow-up
    call_command("worker", batch=True, no_scheduler=True, interval=0)
    liaison = [m for m in mail.outbox if "liaison@jambikota.go.id" in m.to]
    assert len(liaison) == 1  # not 15: one digest for Dinas PUPR
    assert all(c.tracking_number in liaison[0].body for c in ours)
    assert theirs.tracking_number not in liaison[0].body
    assert "Dinas PUPR" in liaison[0].subject
    head = [m for m in mail.outbox if "head@jambikota.go.id" in m.to]
    assert len(head) == 1 and "5" in head[0].body
    perkim = [m for m in mail.outbox if "other_liaison@jambikota.go.id" in m.to]
    assert len(perkim) == 1 and theirs.tracking_number in perkim[0].body


def test_the_sweeps_light_rows_match_the_models():
    """The set-based sweep reads reports into slots and builds events without the model: a field added to
    Event must be added to its rows too, and _READ must name only real fields of a report."""
    from sikesal.complaints.sweep import _NewEvent, _read_columns

    _READ = _read_columns()

    columns = {f.attname for f in Event._meta.concrete_fields if not f.primary_key}
    assert set(_NewEvent.__slots__) - {"pk", "complaint"} == columns
    attnames = {f.attname for f in Complaint._meta.concrete_fields}
    assert set(_READ) <= attnames and len(set(_READ)) == len(_READ)


@pytest.mark.parametrize("path", [sweep_each, sweep_bulk])
def test_a_report_due_with_nothing_to_do_is_not_read_by_every_sweep(submit, path):
    """A report whose sweep point passed with nothing due (made due by hand, or its deadlines moved) gets
    its next sweep point again, silently: no event, the same version; the next sweep does not read it."""
    c = submit()
    expected = c.next_sweep_at
    assert expected > T0 + dt.timedelta(hours=1)
    Complaint.objects.filter(pk=c.pk).update(next_sweep_at=T0)
    now = T0 + dt.timedelta(hours=1)
    assert path(now=now).examined == 1
    c.refresh_from_db()
    assert c.next_sweep_at == expected and c.version == 0
    assert list(c.events.values_list("action", flat=True)) == ["submit"]
    assert path(now=now).examined == 0
