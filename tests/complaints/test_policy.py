"""The access policy as a matrix: role × OPD relation × flags (anonim, rahasia) × question."""

import itertools

import pytest

from sikesal.complaints import policy
from sikesal.complaints.models import Complaint
from sikesal.complaints.policy import Actor, IdentityAccess

ALLOWED, REVEAL, DENIED = IdentityAccess.ALLOWED, IdentityAccess.ON_REVEAL, IdentityAccess.DENIED

# who: (can view, identity if not anonim, identity if anonim)
EXPECTED = {
    "admin": (True, ALLOWED, REVEAL),
    "liaison": (True, ALLOWED, DENIED),  # own OPD
    "officer": (True, ALLOWED, DENIED),
    "head": (True, ALLOWED, DENIED),
    "other_liaison": (False, DENIED, DENIED),  # another OPD
    "executive": (True, DENIED, DENIED),
    "ombudsman": (True, DENIED, DENIED),  # until escalated
    "citizen": (False, DENIED, DENIED),  # someone else's report
    "public": (False, DENIED, DENIED),
    "reporter": (True, ALLOWED, ALLOWED),
    "system": (True, ALLOWED, ALLOWED),
}


@pytest.fixture
def who(actors):
    def _who(name, complaint):
        if name == "reporter":
            return Actor.reporter(complaint)
        if name == "system":
            return Actor.system()
        if name == "public":
            return Actor.for_user(None)
        return actors[name]

    return _who


@pytest.mark.parametrize("anonim,rahasia", list(itertools.product([False, True], repeat=2)))
def test_view_and_identity_matrix(anonim, rahasia, in_state, who):
    complaint = in_state("dispositioned")  # with Dinas PUPR
    Complaint.objects.filter(pk=complaint.pk).update(is_anonymous=anonim, is_secret=rahasia)
    complaint.refresh_from_db()
    for name, (view, identity_plain, identity_anon) in EXPECTED.items():
        actor = who(name, complaint)
        assert policy.can_view(actor, complaint) is view, name
        expected_identity = identity_anon if anonim else identity_plain
        assert policy.identity_access(actor, complaint) is expected_identity, name
        visible = policy.visible_complaints(actor, Complaint.objects.all())
        if name not in ("reporter",):  # a link-holding reporter has no list; the page is opened by secret
            assert visible.filter(pk=complaint.pk).exists() is view, name
    # public part: verified and not rahasia
    assert policy.is_public(complaint) is (not rahasia)


def test_ombudsman_sees_identity_only_after_escalation(in_state, act, actors):
    complaint = in_state("in_progress")
    Complaint.objects.filter(pk=complaint.pk).update(is_anonymous=True)
    complaint.refresh_from_db()
    assert policy.identity_access(actors["ombudsman"], complaint) is DENIED
    act(complaint, "escalate_ombudsman", via_service=True)
    assert policy.identity_access(actors["ombudsman"], complaint) is ALLOWED
    # the OPD still never sees an anonymous reporter
    assert policy.identity_access(actors["liaison"], complaint) is DENIED


def test_unverified_report_is_not_public(in_state):
    assert policy.is_public(in_state("received")) is False
    assert policy.is_public(in_state("merged")) is False


ROLE_ACTIONS = {
    "admin": {
        "verify",
        "set_flags",
        "request_info",
        "archive",
        "redisposition",
        "forward_external",
        "add_followup",
        "close_admin",
        "merge",
    },
    "liaison": {"start", "assign", "add_followup", "complete_followup", "return_not_authority"},
    "officer": {"start", "assign", "add_followup", "complete_followup", "return_not_authority"},
    "head": {"start", "assign", "add_followup", "complete_followup", "return_not_authority"},
    "other_liaison": set(),
    "executive": set(),
    "ombudsman": {"record_ombudsman"},
    "citizen": set(),
    "public": set(),
    "reporter": {"supply_info", "withdraw", "confirm", "dispute", "rate", "comment", "escalate_ombudsman"},
    "system": {
        "close_system",
        "archive_system",
        "mark_overdue",
        "record_ombudsman",
        "lapor_mirror",
    },
}


def test_action_matrix(in_state, who):
    from sikesal.complaints.lifecycle import TRANSITIONS

    complaint = in_state("dispositioned")
    for name, allowed in ROLE_ACTIONS.items():
        actor = who(name, complaint)
        permitted = {a for a in TRANSITIONS if a != "submit" and policy.may(actor, a, complaint)}
        assert permitted == allowed, name


def test_co_opd_reads_and_adds_follow_ups_only(in_state, act, actors, opd, other_opd):
    from sikesal.complaints import lifecycle
    from sikesal.complaints.errors import NotAllowed

    complaint = in_state("received")
    act(complaint, "verify", co_institutions=[other_opd.pk])
    helper = actors["other_liaison"]
    assert policy.can_view(helper, complaint)
    assert policy.visible_complaints(helper, Complaint.objects.all()).filter(pk=complaint.pk).exists()
    assert policy.identity_access(helper, complaint) is DENIED
    lifecycle.transition(complaint, "add_followup", helper, message="Disperkim memeriksa lampu di lokasi.")
    for action, data in (("complete_followup", {"message": "x"}), ("return_not_authority", {"message": "x"})):
        with pytest.raises(NotAllowed):
            lifecycle.transition(complaint, action, helper, **data)
    # handing the report back clears the helpers too
    act(complaint, "return_not_authority")
    assert not policy.can_view(helper, complaint)
