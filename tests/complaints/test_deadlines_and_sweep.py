"""Deadlines recomputed on each transition, and the sweep's automatic closes, archives and overdue marks."""

import datetime as dt

import pytest

from sikesal.catalogue import calendar
from sikesal.complaints import lifecycle, timeline
from sikesal.complaints.deadlines import CALENDAR_DAYS, DEADLINES, OPD, WORKING_DAYS, DeadlineSpec
from sikesal.complaints.models import Event
from sikesal.complaints.states import Status
from sikesal.complaints.sweep import sweep, sweep_bulk, sweep_each
from tests.conftest import T0

DAY = dt.timedelta(days=1)


def test_submission_sets_verify_final_and_target_deadlines(submit):
    c = submit()  # Monday 2 Nov 2026, 09:00 WIB; service "jalan rusak" targets 72 h
    assert c.verify_due_at == calendar.add_working_days(T0, 3)  # Thursday 5 Nov
    assert c.verify_due_at.astimezone(calendar.WIB).date() == dt.date(2026, 11, 5)
    assert c.final_due_at.astimezone(calendar.WIB).date() == dt.date(2027, 1, 1)
    assert c.target_due_at == T0 + dt.timedelta(hours=72)
    assert c.due_at == min(c.verify_due_at, c.target_due_at)


def test_deadlines_follow_the_report(submit, act):
    c = submit()
    act(c, "request_info", now=T0 + DAY)
    assert c.verify_due_at is None and c.info_due_at == calendar.add_days(T0 + DAY, 30)
    act(c, "supply_info", now=T0 + 2 * DAY)
    assert c.info_due_at is None and c.verify_due_at == calendar.add_working_days(T0 + 2 * DAY, 3)
    act(c, "verify", now=T0 + 3 * DAY)
    assert c.verify_due_at is None and c.followup_due_at == calendar.add_working_days(T0 + 3 * DAY, 5)
    act(c, "complete_followup", now=T0 + 4 * DAY)
    assert c.followup_due_at is None and c.reporter_due_at == calendar.add_working_days(T0 + 4 * DAY, 10)
    assert c.due_at == c.reporter_due_at  # the final deadline no longer binds once a resolution is given
    act(c, "dispute", now=T0 + 5 * DAY)
    assert c.reporter_due_at is None and c.followup_due_at == calendar.add_working_days(T0 + 5 * DAY, 5)


def test_sweep_closes_after_reporter_silence(submit, act):
    c = submit()
    act(c, "verify", now=T0)
    act(c, "complete_followup", now=T0 + DAY)
    before = c.reporter_due_at
    assert sweep(now=before - dt.timedelta(minutes=1)).closed == 0
    c.refresh_from_db()
    assert c.status == Status.FOLLOWED_UP
    result = sweep(now=before + dt.timedelta(minutes=1))
    c.refresh_from_db()
    assert result.closed == 1
    assert c.status == Status.CLOSED_SYSTEM
    assert c.events.last().action == "close_system"


def test_sweep_archives_unanswered_information_request(submit, act):
    c = submit()
    act(c, "request_info", now=T0)
    sweep(now=T0 + 29 * DAY)
    c.refresh_from_db()
    assert c.status == Status.PENDING_INFO
    result = sweep(now=T0 + 31 * DAY)
    c.refresh_from_db()
    assert result.archived == 1 and c.status == Status.ARCHIVED_SYSTEM


def test_overdue_is_recorded_once_per_deadline(submit):
    c = submit()
    late = c.verify_due_at + dt.timedelta(hours=1)
    first = sweep(now=late)
    # the 72-hour service target passed; the verification deadline got its reminder, then passed
    assert first.overdue_marked == 3
    again = sweep(now=late + dt.timedelta(hours=1))
    assert again.overdue_marked == 0 and again.examined == 0
    marks = Event.objects.filter(complaint=c, action="mark_overdue")
    assert sorted((e.payload["deadline"], e.payload["stage"]) for e in marks) == [
        ("target_due_at", "overdue"),
        ("verify_due_at", "overdue"),
        ("verify_due_at", "reminder"),
    ]
    assert all(e.visibility == "staff" for e in marks)
    c.refresh_from_db()
    assert c.status == Status.RECEIVED
    # the next rung: escalation two working days after the verification deadline
    assert c.next_sweep_at == calendar.add_working_days(c.verify_due_at, 2)


def test_escalation_ladder_across_a_weekend_and_a_holiday(submit, act):
    # Verified on Wednesday 12 Aug 2026: first follow-up due 5 working days later, skipping the
    # weekend and Independence Day (Monday 17 Aug): Thursday 20 Aug.
    wednesday = dt.datetime(2026, 8, 12, 3, tzinfo=dt.UTC)
    c = submit(now=wednesday)
    act(c, "verify", now=wednesday)
    wib = calendar.WIB
    assert c.followup_due_at == dt.datetime(2026, 8, 20, 23, 59, 59, tzinfo=wib)

    def stages(now):
        sweep(now=now)
        return sorted(
            e.payload["stage"]
            for e in Event.objects.filter(complaint=c, action="mark_overdue", payload__deadline="followup_due_at")
        )

    assert stages(dt.datetime(2026, 8, 19, 12, tzinfo=wib)) == []
    assert stages(dt.datetime(2026, 8, 20, 0, 30, tzinfo=wib)) == ["reminder"]  # after the end of Wed 19 Aug
    assert stages(dt.datetime(2026, 8, 21, 0, 30, tzinfo=wib)) == ["overdue", "reminder"]
    # escalated two working days after Thursday: Friday 21, (weekend), Monday 24 Aug ends the count
    assert stages(dt.datetime(2026, 8, 24, 12, tzinfo=wib)) == ["overdue", "reminder"]
    assert stages(dt.datetime(2026, 8, 25, 0, 30, tzinfo=wib)) == ["escalated", "overdue", "reminder"]


def test_new_deadline_after_transition_can_be_overdue_again(submit, act):
    c = submit()
    sweep(now=c.verify_due_at + DAY)
    act(c, "verify", now=c.verify_due_at + 2 * DAY)
    sweep(now=c.followup_due_at + DAY)
    deadlines = Event.objects.filter(complaint=c, action="mark_overdue").values_list("payload__deadline", flat=True)
    assert "followup_due_at" in list(deadlines)


def test_sweep_skips_closed_reports(in_state):
    c = in_state("archived_admin")
    assert c.next_sweep_at is None
    assert sweep(now=T0 + 500 * DAY).examined == 0


# --- A new deadline rule is one entry in DEADLINES --------------------------------------------------------
# No column is free for a scratch rule without a migration, so the scratch rules below borrow
# followup_completed_at, which only complete_followup sets and which these tests never reach.
SCRATCH_FIELD = "followup_completed_at"


@pytest.fixture
def scratch_rule(monkeypatch, settings):
    """add(**spec) puts one scratch rule in the table (and its length in the settings), as a new rule
    would be added; both go away after the test."""

    def add(rule_days, **spec):
        settings.SIKESAL_DEADLINES = {**settings.SIKESAL_DEADLINES, "scratch_days": rule_days}
        rule = DeadlineSpec(SCRATCH_FIELD, "scratch", OPD, rule="scratch_days", **spec)
        monkeypatch.setitem(DEADLINES, SCRATCH_FIELD, rule)
        return rule

    return add


@pytest.mark.parametrize("path", [sweep_each, sweep_bulk])
def test_a_new_rule_in_the_table_is_started_swept_laddered_and_stopped(submit, act, scratch_rule, path):
    # "The OPD starts work within 1 working day of the disposition", climbing the ladder.
    scratch_rule(
        1,
        clock=WORKING_DAYS,
        states=frozenset({Status.DISPOSITIONED}),
        started_by=frozenset({"verify", "redisposition"}),
        stopped_by=frozenset({"start"}),
        ladder=True,
    )
    c = submit()
    assert getattr(c, SCRATCH_FIELD) is None  # not started by the submission
    act(c, "verify", now=T0)
    due = calendar.add_working_days(T0, 1)  # end of Tuesday 3 Nov
    assert getattr(c, SCRATCH_FIELD) == due
    assert lifecycle.active_deadlines(c)[SCRATCH_FIELD] == due
    assert c.due_at == min(due, c.target_due_at) and c.next_sweep_at <= due

    path(now=due + dt.timedelta(hours=1))
    marks = Event.objects.filter(complaint=c, action="mark_overdue", payload__deadline=SCRATCH_FIELD)
    assert sorted(e.payload["stage"] for e in marks) == ["overdue", "reminder"]
    assert all(e.payload["due_at"] == due.isoformat() for e in marks)
    assert "scratch" in timeline.action_label(marks.get(payload__stage="overdue"))
    path(now=calendar.add_working_days(due, 2) + dt.timedelta(hours=1))
    assert marks.filter(payload__stage="escalated").count() == 1

    c.refresh_from_db()
    act(c, "start", now=due + 3 * DAY)
    assert getattr(c, SCRATCH_FIELD) is None and SCRATCH_FIELD not in lifecycle.active_deadlines(c)


@pytest.mark.parametrize("path", [sweep_each, sweep_bulk])
def test_a_new_rule_whose_passing_ends_the_report(submit, act, scratch_rule, path):
    # A shorter wait for information than the 30 days: after 5 calendar days the system archives.
    scratch_rule(
        5,
        clock=CALENDAR_DAYS,
        states=frozenset({Status.PENDING_INFO}),
        started_by=frozenset({"request_info"}),
        stopped_by=frozenset({"supply_info", "archive_system"}),
        on_passing="archive_system",
    )
    c = submit()
    act(c, "request_info", now=T0)
    due = calendar.add_days(T0, 5)
    assert getattr(c, SCRATCH_FIELD) == due and c.info_due_at == calendar.add_days(T0, 30)
    assert path(now=due - dt.timedelta(minutes=1)).archived == 0
    result = path(now=due + dt.timedelta(minutes=1))
    c.refresh_from_db()
    assert result.archived == 1 and c.status == Status.ARCHIVED_SYSTEM
    assert c.events.last().payload["due_at"] == due.isoformat()
    assert getattr(c, SCRATCH_FIELD) is None
    assert not c.events.filter(action="mark_overdue", payload__deadline=SCRATCH_FIELD).exists()
