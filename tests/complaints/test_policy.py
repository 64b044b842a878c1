"""The access policy as a matrix: role × OPD relation × flags (anonim, rahasia) × question."""

import itertools

import pytest

from sikesal.accounts.roles import Role
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
    "desk": (False, DENIED, DENIED),  # records reports for citizens, reads none
    "dpo": (False, DENIED, DENIED),  # reads the audit, the requests and the breaches, no report
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
    "desk": set(),  # files (submit) and nothing else
    "dpo": set(),
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


def test_the_matrices_cover_every_role(who, in_state):
    """A new role must be placed in both matrices (what it reads, what it may do) before its tests pass."""
    complaint = in_state("received")
    for matrix in (EXPECTED, ROLE_ACTIONS):
        covered = {who(name, complaint).role for name in matrix}
        assert covered >= {str(role) for role in Role}, set(Role) - covered


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


# --- Issue 26 item 1: the decisions that used to sit elsewhere -----------------------------------------

# who: (logs in to the back office, needs a code without TOTP set up, enters Django's admin, works in an OPD)
ACCOUNTS = {
    "admin": (True, True, True, False),
    "liaison": (True, False, False, True),
    "officer": (True, False, False, True),
    "head": (True, False, False, True),
    "executive": (True, False, False, False),
    "ombudsman": (True, False, False, False),
    "citizen": (False, False, False, False),
}


def test_account_decisions_matrix(users, actors):
    for name, expected in ACCOUNTS.items():
        user, actor = users[name], actors[name]
        got = (
            policy.may_log_in_to_backoffice(user),
            policy.needs_second_factor(user),
            policy.can_use_django_admin(actor),
            policy.works_in_an_opd(actor),
        )
        assert got == expected, name
        user.totp_confirmed = True  # whoever set up a second factor gives a code, citizens have none to give
        assert policy.needs_second_factor(user) is (name != "citizen"), name
    assert not policy.may_log_in_to_backoffice(None)
    assert not policy.can_use_django_admin(Actor.for_user(None)) and not policy.can_use_django_admin(Actor.system())
    users["admin"].is_active = False
    assert not policy.can_use_django_admin(Actor.for_user(users["admin"]))


def test_a_report_is_assigned_only_to_an_active_officer_of_its_own_opd(in_state, users):
    complaint = in_state("dispositioned")  # with Dinas PUPR
    users["head"].is_active = False
    users["head"].save()
    assignable = set(policy.assignable_officers(complaint).values_list("username", flat=True))
    assert assignable == {users["liaison"].username, users["officer"].username}
    complaint.institution = None
    assert not policy.assignable_officers(complaint).exists()


def test_only_a_citizens_filing_links_their_account_and_hides_their_name(users, actors):
    citizen = Actor.for_user(users["citizen"])
    assert policy.reporter_account(citizen) == users["citizen"] and policy.hides_author(citizen)
    for name in ("admin", "liaison"):
        assert policy.reporter_account(actors[name]) is None and not policy.hides_author(actors[name]), name
    assert policy.reporter_account(Actor.filing_citizen(None)) is None


def names(people):
    return {u.username for u in people}


def test_who_is_told(users, opd, other_opd):
    users["executive"].is_active = False
    users["executive"].save()
    assert names(policy.admins_to_alert()) == {"admin"}
    assert names(policy.executives_to_alert()) == set()  # no one inactive is told anything
    assert names(policy.liaisons_to_alert(opd)) == {"pupr"} and names(policy.liaisons_to_alert(other_opd)) == {"perkim"}
    assert names(policy.heads_to_alert(opd)) == {"pupr-head"} and not policy.heads_to_alert(other_opd).exists()
