"""Every action from every state: allowed exactly where the transition table says, refused cleanly elsewhere."""

import pytest

from sikesal.complaints import lifecycle
from sikesal.complaints.errors import InvalidInput, InvalidTransition, LifecycleError, NotAllowed
from sikesal.complaints.models import Complaint, Event
from sikesal.complaints.policy import Actor
from sikesal.complaints.states import CLOSED_STATES, Status
from tests.conftest import STATE_PATHS

ACTIONS = sorted(a for a in lifecycle.TRANSITIONS if a != "submit")


def test_every_state_is_reachable_and_every_action_is_tested():
    # Every state has a path, and each path, walked through the table from a new report, ends in its state.
    assert set(STATE_PATHS) == set(Status.values)
    for state, path in STATE_PATHS.items():
        current = lifecycle.TRANSITIONS["submit"].target
        for action in path:
            spec = lifecycle.TRANSITIONS[action]
            assert current in spec.sources, f"path to {state}: {action} is not allowed from {current}"
            current = spec.target or current
        assert current == state, f"the path to {state} ends in {current}"
    # Every action but submit (which creates: tests/complaints/test_intake.py) is allowed from at least
    # one of those states, so test_action_from_state performs it as well as refusing it elsewhere.
    for action in ACTIONS:
        sources = set(lifecycle.TRANSITIONS[action].sources)
        assert sources and sources <= set(STATE_PATHS), f"{action} is allowed from {sources or 'no state'}"


@pytest.mark.parametrize("state", sorted(STATE_PATHS))
@pytest.mark.parametrize("action", ACTIONS)
def test_action_from_state(state, action, in_state, act):
    complaint = in_state(state)
    spec = lifecycle.TRANSITIONS[action]
    events_before = Event.objects.filter(complaint=complaint).count()
    version_before = complaint.version
    if state in spec.sources:
        result = act(complaint, action)
        complaint.refresh_from_db()
        assert complaint.status == (spec.target or state)
        assert complaint.version == version_before + 1
        assert result.event.action == action
        assert result.event.from_status == state
        assert result.event.to_status == complaint.status
        assert Event.objects.filter(complaint=complaint).count() == events_before + 1
        if complaint.status in CLOSED_STATES:
            assert complaint.closed_at is not None
            assert complaint.due_at is None and complaint.next_sweep_at is None
    else:
        with pytest.raises(LifecycleError):
            act(complaint, action)
        complaint.refresh_from_db()
        assert complaint.status == state
        assert complaint.version == version_before
        assert Event.objects.filter(complaint=complaint).count() == events_before


def test_refusal_says_why_in_indonesian(in_state, act):
    complaint = in_state("closed_reporter")
    with pytest.raises(InvalidTransition) as exc:
        act(complaint, "verify")
    assert exc.value.code == "invalid_transition"
    assert "Ditutup oleh pelapor" in str(exc.value.message)


def test_unknown_action_is_refused(in_state, actors):
    complaint = in_state("received")
    with pytest.raises(InvalidTransition):
        lifecycle.transition(complaint, "delete_everything", actors["admin"])


def test_verify_needs_a_city_opd(in_state, actors, external):
    complaint = in_state("received")
    with pytest.raises(InvalidInput) as exc:
        lifecycle.transition(complaint, "verify", actors["admin"], institution=external.pk)
    assert "institution" in exc.value.fields
    with pytest.raises(InvalidInput):
        lifecycle.transition(complaint, "verify", actors["admin"], institution=999999)
    complaint.refresh_from_db()
    assert complaint.status == Status.RECEIVED


def test_archive_needs_reason_from_list(in_state, act):
    complaint = in_state("received")
    with pytest.raises(InvalidInput):
        act(complaint, "archive", reason="because")
    with pytest.raises(InvalidInput):
        act(complaint, "archive", message="")


def test_opd_cannot_act_on_another_opds_report(in_state, actors):
    complaint = in_state("dispositioned")
    with pytest.raises(NotAllowed):
        lifecycle.transition(complaint, "start", actors["other_liaison"])
    lifecycle.transition(complaint, "start", actors["officer"])
    assert complaint.status == Status.IN_PROGRESS


def test_only_the_reporter_confirms(in_state, actors, submit):
    complaint = in_state("followed_up")
    other = submit()
    for actor in (actors["admin"], actors["liaison"], actors["citizen"], Actor.reporter(other)):
        with pytest.raises(NotAllowed):
            lifecycle.transition(complaint, "confirm", actor)
    lifecycle.transition(complaint, "confirm", Actor.reporter(complaint), rating=5)
    assert complaint.status == Status.CLOSED_REPORTER and complaint.rating == 5


def test_reporter_account_owner_may_act(in_state, users):
    complaint = in_state("followed_up")
    complaint.reporter.user = users["citizen"]
    complaint.reporter.save()
    lifecycle.transition(complaint, "dispute", Actor.for_user(users["citizen"]), message="Belum beres.")
    assert complaint.status == Status.IN_PROGRESS
    assert complaint.reopen_count == 1


def test_return_hands_the_report_back_to_the_admin(in_state, act, actors):
    complaint = in_state("returned")
    assert complaint.institution is None
    assert complaint.verify_due_at is not None
    with pytest.raises(NotAllowed):
        lifecycle.transition(complaint, "start", actors["liaison"])


def test_merge_refuses_itself(in_state, act):
    complaint = in_state("received")
    with pytest.raises(InvalidInput):
        act(complaint, "merge", target=complaint)


def test_rating_must_be_1_to_5(in_state, act):
    complaint = in_state("followed_up")
    for bad in (0, 6, "lima", None):
        with pytest.raises(InvalidInput):
            act(complaint, "rate", rating=bad)
    assert Complaint.objects.get(pk=complaint.pk).rating is None


def test_escalation_is_recorded_once(in_state, act):
    complaint = in_state("in_progress")
    with pytest.raises(InvalidTransition):  # not through the escalation service: refused, nothing set
        act(complaint, "escalate_ombudsman", via_service=False)
    assert complaint.ombudsman_escalated_at is None
    act(complaint, "escalate_ombudsman", via_service=True)
    assert complaint.ombudsman_escalated_at is not None
    with pytest.raises(InvalidTransition):
        act(complaint, "escalate_ombudsman", via_service=True)


def test_internal_followup_is_staff_only_and_not_a_response(in_state, act):
    complaint = in_state("dispositioned")
    result = act(complaint, "add_followup", internal=True)
    assert result.event.visibility == "staff"
    assert complaint.first_response_at is None
    result = act(complaint, "add_followup")
    assert result.event.visibility == "public"
    assert complaint.first_response_at is not None


def test_events_are_append_only(in_state):
    event = in_state("received").events.first()
    event.message = "changed"
    with pytest.raises(Exception, match="append-only"):
        event.save()
    with pytest.raises(Exception, match="append-only"):
        event.delete()


def test_assign_only_to_an_officer_of_the_same_opd(in_state, actors, users):
    complaint = in_state("in_progress")
    with pytest.raises(InvalidInput):
        lifecycle.transition(complaint, "assign", actors["liaison"], officer=users["other_liaison"].pk)
    lifecycle.transition(complaint, "assign", actors["liaison"], officer=users["officer"].pk)
    assert complaint.assigned_officer == users["officer"]
    lifecycle.transition(complaint, "redisposition", actors["admin"], institution=users["other_liaison"].institution_id)
    assert complaint.assigned_officer is None  # the new OPD assigns its own people


def test_set_flags_records_what_changed(in_state, actors):
    complaint = in_state("dispositioned")
    result = lifecycle.transition(complaint, "set_flags", actors["admin"], is_anonymous=True)
    assert complaint.is_anonymous and result.event.payload == {"is_anonymous": True}
    assert result.event.visibility == "staff"
    with pytest.raises(InvalidInput):
        lifecycle.transition(complaint, "set_flags", actors["admin"], is_anonymous=True)
