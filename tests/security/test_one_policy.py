"""One policy for every decision (issue: outside attack): partner keys, idempotency namespaces, the
escalation door, internal notes, and the action table that every label and notice comes from."""

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings

from sikesal.accounts.models import ApiKey
from sikesal.complaints import actions, lifecycle, policy
from sikesal.complaints.models import Complaint
from sikesal.complaints.policy import Actor, IdentityAccess
from sikesal.integrations.ombudsman.models import Escalation
from tests.api.test_rest_v1 import REPORT

DENIED = IdentityAccess.DENIED


def make_key(value, scopes, institution=None):
    key = ApiKey(name=f"Mitra {value}", scopes=scopes, institution=institution)
    key.set_key(value)
    key.full_clean(exclude=["key_hash", "prefix"])
    key.save()
    return key


# --- The action table -------------------------------------------------------------------------------


def test_every_action_is_defined_once_with_everything_it_needs():
    names = {a.value for a in actions.Action}
    assert set(lifecycle.TRANSITIONS) == names  # every action moves between states...
    assert set(policy.ACTION_ROLES) == names  # ...has the roles that may take it...
    for action, spec in actions.ACTIONS.items():  # ...a label, an audience
        assert str(spec.label) and str(spec.label) != action.value, action
        assert spec.visibility in ("public", "reporter", "staff"), action
    assert set(actions.ACTIONS) == set(actions.Action)


def test_every_action_a_desk_offers_has_a_titled_form():
    """A desk shows an action only with a form template named by it and a title or button from the spec;
    ready answers exist only for actions an officer's form offers."""
    from django.template.loader import get_template

    for action, spec in actions.ACTIONS.items():
        if spec.desk:
            assert str(spec.title or spec.button), action
            get_template(f"{spec.desk}/actions/{action}.html")  # raises if the form is missing
        assert not spec.response_templates or spec.desk == actions.Desk.BACKOFFICE, action


ACTION_NAMES = frozenset(a.value for a in actions.Action)
# Calls whose positional arguments name an action: the door, the policy, the event writers, the table rows.
ACTION_CALLS = {"transition", "apply", "may", "new_event", "follow_event", "_require_passed", "T", "spec"}


def _names_actions(node):
    """A string literal naming an action, or a tuple/list/set whose string members all name actions."""
    if isinstance(node, ast.Constant):
        return node.value in ACTION_NAMES
    if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("frozenset", "set", "tuple") and node.args:
        return _names_actions(node.args[0])
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        strings = [e for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        return bool(strings) and all(e.value in ACTION_NAMES for e in strings)
    return False


def _action_literals(tree):
    """Lines where a string literal stands for an action: compared, passed to the door or the policy,
    given as a keyword, returned, a key or value of a table of actions, a member of a set of actions."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and any(_names_actions(s) for s in [node.left, *node.comparators]):
            found.add(node.lineno)
        elif isinstance(node, ast.Call):
            func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if func in ACTION_CALLS and any(_names_actions(a) for a in node.args):
                found.add(node.lineno)
            found.update(kw.value.lineno for kw in node.keywords if _names_actions(kw.value))
        elif isinstance(node, ast.Dict):
            keys = [k for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
            values = [v for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
            for side in (keys, values):
                if side and len(side) == len(node.keys) and all(_names_actions(s) for s in side):
                    found.update(s.lineno for s in side)
        elif (
            isinstance(node, ast.Tuple | ast.List | ast.Set)
            and _names_actions(node)
            or isinstance(node, ast.Return)
            and node.value is not None
            and _names_actions(node.value)
            or isinstance(node, ast.IfExp)
            and (_names_actions(node.body) or _names_actions(node.orelse))
            or isinstance(node, ast.Subscript)
            and _names_actions(node.slice)
            and str(ast.unparse(node.value)).isupper()
        ):
            found.add(node.lineno)
    return sorted(found)


def test_action_names_come_from_the_action_enum():
    """Outside actions.py no Python module spells an action's name: it says Action.VERIFY, so a renamed or
    removed action breaks at import and every place that names one can be found."""
    root = Path(settings.BASE_DIR)
    found = []
    for path in sorted(root.glob("sikesal/**/*.py")):
        rel = str(path.relative_to(root))
        if rel == "sikesal/complaints/actions.py" or "/migrations/" in rel:
            continue
        found += [f"{rel}:{line}" for line in _action_literals(ast.parse(path.read_text()))]
    # A template gets an action's title from its spec and its form by the action's name, never by a test
    # such as `a == "verify"` or `"confirm" in available` (a hidden input may carry the value: the protocol).
    names = "|".join(ACTION_NAMES)
    test = re.compile(rf"""(==|!=)\s*["']({names})["']|["']({names})["']\s+(not\s+)?in\b""")
    for path in sorted(root.glob("sikesal/**/templates/**/*.html")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if test.search(line):
                found.append(f"{path.relative_to(root)}:{number}")
    assert not found, "\n".join(found)


def test_the_action_guard_finds_what_it_is_for():
    caught = """
if event.action == "verify": pass
lifecycle.transition(c, "start", actor)
policy.may(actor, "submit", None)
MAP = {"confirm": 1, "dispute": 2}
EVENTS = frozenset({"verify", "redisposition"})
Event.objects.filter(action="mark_overdue")
def f(): return "dispute"
"""
    assert _action_literals(ast.parse(caught)) == [2, 3, 4, 5, 6, 7, 8]
    fields = 'data = {k: post.get(k) for k in ("message", "rating", "comment")}\nx = post.get("comment")'
    assert _action_literals(ast.parse(fields)) == []


def test_lapor_mirror_events_have_a_readable_label(in_state, act):
    complaint = in_state("dispositioned")
    event = act(complaint, "lapor_mirror").event
    from sikesal.complaints import timeline

    assert timeline.action_label(event) != "lapor_mirror"
    assert "SP4N-LAPOR!" in str(timeline.action_label(event))


# --- Decisions beyond one report: the matrix ---------------------------------------------------------

PAGES = {
    # name: (back office, sync page, audit, Ombudsman list, Ombudsman file, export identity columns)
    "admin": (True, True, True, True, False, True),
    "liaison": (True, False, False, False, False, True),
    "executive": (True, False, False, False, False, False),
    "ombudsman": (True, False, False, True, True, False),
    "public": (False, False, False, False, False, False),
}


def test_page_decisions_matrix(actors):
    for name, expected in PAGES.items():
        actor = actors[name] if name in actors else Actor.for_user(None)
        got = (
            policy.can_use_backoffice(actor),
            policy.can_manage_sync(actor),
            policy.can_read_audit(actor),
            policy.can_observe_ombudsman(actor),
            policy.can_act_as_ombudsman(actor),
            policy.export_with_identity_columns(actor),
        )
        assert got == expected, name


def test_monthly_report_is_the_own_opds_for_an_opd(actors, opd, other_opd):
    assert policy.can_read_monthly_report(actors["liaison"], opd.pk)
    assert not policy.can_read_monthly_report(actors["liaison"], other_opd.pk)
    assert policy.monthly_report_institution(actors["liaison"], other_opd.pk) == opd.pk
    assert policy.can_read_monthly_report(actors["admin"], other_opd.pk)


# --- Item 2: partner keys ---------------------------------------------------------------------------


def test_partner_matrix(in_state, opd, other_opd):
    complaint = in_state("dispositioned")  # with Dinas PUPR
    kiosk = Actor.partner(make_key("kios-1", ["reports:file", "reports:read"]))
    pupr = Actor.partner(make_key("pupr-app", ["reports:act"], opd))
    perkim = Actor.partner(make_key("perkim-app", ["reports:act"], other_opd))
    make_key("lama", ["reports:read"])
    ApiKey.objects.filter(name="Mitra lama").update(scopes=["reports:write"])  # an old key's single scope
    legacy = Actor.partner(ApiKey.objects.get(name="Mitra lama"))
    acting = {a for a in lifecycle.TRANSITIONS if a != "submit" and policy.may(pupr, a, complaint)}
    assert acting == {"start", "add_followup", "complete_followup", "return_not_authority"}
    for partner in (kiosk, perkim, legacy):
        assert not {a for a in lifecycle.TRANSITIONS if a != "submit" and policy.may(partner, a, complaint)}
    assert policy.may(kiosk, "submit", None) and policy.may(legacy, "submit", None)
    assert not policy.may(pupr, "submit", None)
    for partner in (kiosk, pupr, perkim):
        assert policy.identity_access(partner, complaint) is DENIED  # never an identity
    assert policy.can_view(pupr, complaint) and not policy.can_view(perkim, complaint)
    assert not policy.can_view(kiosk, complaint)


def test_a_filing_key_cannot_act_and_an_acting_key_only_on_its_institution(client, in_state, opd, other_opd):
    complaint = in_state("dispositioned")
    make_key("kios-1", ["reports:file", "reports:read"])
    make_key("perkim-app", ["reports:act"], other_opd)
    make_key("pupr-app", ["reports:act"], opd)
    url = f"/api/v1/reports/{complaint.tracking_number}/actions/start"
    assert client.post(url, {}, content_type="application/json", HTTP_X_API_KEY="kios-1").status_code == 403
    assert client.post(url, {}, content_type="application/json", HTTP_X_API_KEY="perkim-app").status_code == 404
    complaint.refresh_from_db()
    assert complaint.status == "dispositioned"
    ok = client.post(url, {}, content_type="application/json", HTTP_X_API_KEY="pupr-app")
    assert ok.status_code == 200 and ok.json()["status"] == "in_progress"
    event = complaint.events.order_by("id").last()
    assert event.actor_role == policy.PARTNER and "pupr-app" in event.actor_label


def test_an_acting_key_needs_an_institution():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        make_key("tanpa-instansi", ["reports:act"])
    with pytest.raises(ValidationError):
        make_key("aneh", ["reports:everything"])


def test_the_demo_key_files_and_reads_only(db, catalogue):
    from django.core.management import call_command

    call_command("seed_demo", no_reports=True)
    key = ApiKey.lookup(settings.SIKESAL_DEMO_API_KEY)
    assert sorted(key.scopes) == ["reports:file", "reports:read"] and key.institution is None


# --- Item 3: idempotency keys are namespaced by principal --------------------------------------------


def test_a_partner_cannot_replay_a_staff_submission(client, users, catalogue):
    # staff user and key may share a number; their idempotency namespaces must not
    key = make_key("kunci-1", ["reports:file", "reports:read"])
    client.force_login(users["admin"])
    staff = client.post("/api/v1/reports", REPORT, content_type="application/json", HTTP_IDEMPOTENCY_KEY="loket-0001")
    client.logout()
    partner = client.post(
        "/api/v1/reports",
        REPORT,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="loket-0001",
        HTTP_X_API_KEY="kunci-1",
    )
    assert staff.status_code == 201 and partner.status_code == 201, (staff.json(), partner.json(), key.pk)
    assert partner.json()["tracking_number"] != staff.json()["tracking_number"]
    assert partner.json()["private_url"] != staff.json()["private_url"] and not partner.json()["replayed"]


# --- Item 11: the Ombudsman route has one door ----------------------------------------------------------


def test_rest_cannot_escalate_around_the_eligibility_and_identity(client, in_state, users):
    complaint = in_state("received")  # fresh: not eligible
    client.force_login(users["admin"])
    response = client.post(
        f"/api/v1/reports/{complaint.tracking_number}/actions/escalate_ombudsman", {}, content_type="application/json"
    )
    assert response.status_code in (403, 409)
    complaint.refresh_from_db()
    assert complaint.ombudsman_escalated_at is None and not Escalation.objects.exists()
    assert policy.identity_access(Actor.for_user(users["ombudsman"]), complaint) is DENIED


# --- Item 14: the note for the OPD is internal -----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_note_for_the_opd_is_not_published(client, submit, actors, opd, mailoutbox):
    from django.core.management import call_command

    complaint = submit(reporter={"name": "Rina", "email": "rina@example.id"})
    note = "Catatan internal: koordinasikan dengan kontraktor CV Maju."
    lifecycle.transition(complaint, "verify", actors["admin"], institution=opd.pk, note=note)
    call_command("worker", batch=True, no_scheduler=True, interval=0)
    for url in (f"/laporan/{complaint.tracking_number}/", f"/lacak/{complaint.tracking_number}/"):
        page = client.get(url)
        assert page.status_code == 200 and note not in page.content.decode(), url
    assert note not in str(client.get(f"/api/v1/reports/{complaint.tracking_number}/timeline").json())
    assert mailoutbox and all(note not in m.body for m in mailoutbox)
    client.force_login(actors["liaison"].user)  # the OPD it is meant for reads it
    assert note in client.get(f"/kantor/laporan/{complaint.tracking_number}/").content.decode()


# --- How "no role check outside policy.py" is kept -------------------------------------------------------

# Where roles are defined or decided; everything else asks these two.
ROLE_HOMES = {"sikesal/complaints/policy.py", "sikesal/accounts/roles.py"}
# Presentation only, never a decision to allow or refuse: how a past event's author is named on a timeline.
PRESENTATION = {("sikesal/complaints/timeline.py", "actor_display")}
QUERIES = {"filter", "exclude", "get", "Q"}


def _is_role(node):
    """`x.role`, `x.actor_role`, a Role member or a *_ROLES set: the things a role check compares."""
    if isinstance(node, ast.Attribute):
        return node.attr in ("role", "actor_role") or (isinstance(node.value, ast.Name) and node.value.id == "Role")
    return isinstance(node, ast.Name) and node.id.endswith("_ROLES")


def _role_checks(tree):
    """(line, function) of every role comparison and every query by role in a module."""
    scopes = [(tree, "<module>")] + [(f, f.name) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)]
    found = {}
    for scope, name in reversed(scopes):  # innermost first: a line is reported under the function that holds it
        for node in ast.walk(scope):
            if isinstance(node, ast.Compare) and any(_is_role(side) for side in [node.left, *node.comparators]):
                found.setdefault(node.lineno, name)
            if isinstance(node, ast.Call):
                func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                for kw in node.keywords:
                    if kw.arg and (kw.arg.startswith("role__") or (kw.arg == "role" and func in QUERIES)):
                        found.setdefault(node.lineno, name)
    return sorted(found.items())


def test_no_module_or_template_compares_roles_itself():
    """Outside policy.py (and roles.py, which names the roles), nothing compares a role or queries users
    by role: a view, a template, a model, a sweep or a recipient list asks the policy."""
    root = Path(settings.BASE_DIR)
    found = []
    for path in sorted(root.glob("sikesal/**/*.py")):
        rel = str(path.relative_to(root))
        if rel in ROLE_HOMES or "/migrations/" in rel:
            continue
        for line, name in _role_checks(ast.parse(path.read_text())):
            if (rel, name) not in PRESENTATION:
                found.append(f"{rel}:{line} in {name}")
    for path in sorted(root.glob("sikesal/**/templates/**/*.html")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"\.role\b|\brole\s*(==|!=|\bin\b)", line):
                found.append(f"{path.relative_to(root)}:{number}")
    assert not found, "\n".join(found)


def test_the_guard_finds_what_it_is_for():
    """The guard's own check: each way of deciding by role it must catch, and markup it must not."""
    caught = """
def a(user): return user.role == "admin"
def b(actor): return actor.role in OPD_ROLES
def c(role): return role == Role.ADMIN
def d(): return User.objects.filter(role__in=STAFF)
def e(): return User.objects.filter(role=Role.ADMIN)
def f(e): return e.actor_role not in X
"""
    assert [name for _, name in _role_checks(ast.parse(caught))] == ["a", "b", "c", "d", "e", "f"]
    assert _role_checks(ast.parse("def g(): return User(role=Role.CITIZEN, name='x')")) == []


@pytest.mark.parametrize("rahasia", [False, True])
def test_partner_reads_no_identity_through_the_api(client, in_state, opd, rahasia):
    complaint = in_state("dispositioned")
    Complaint.objects.filter(pk=complaint.pk).update(is_secret=rahasia)
    make_key("pupr-app", ["reports:act", "reports:read"], opd)
    body = client.get(f"/api/v1/reports/{complaint.tracking_number}", HTTP_X_API_KEY="pupr-app")
    assert body.status_code == 200
    assert "0812" not in body.content.decode()


# --- Item 1: a rahasia original's content never reaches a merged reporter ---------------------------------


def test_a_merged_reporter_learns_nothing_of_a_rahasia_original(submit, act, actors, opd):
    from sikesal.integrations.notify.handlers import notify_reporter
    from sikesal.integrations.notify.models import Notification

    original = submit(is_secret=True, reporter={"name": "T", "email": "t@example.id"})
    duplicate = submit(title="Jalan berlubang juga", reporter={"name": "D", "email": "d@example.id"})
    act(original, "verify")
    merged = lifecycle.transition(duplicate, "merge", actors["admin"], target=original)
    notify_reporter(merged.event)  # D hears that their report was merged
    followup = lifecycle.transition(original, "add_followup", actors["liaison"], message="Sudah ditambal.")
    notify_reporter(followup.event)
    to_d = Notification.objects.filter(to="d@example.id")
    assert [n.event.action for n in to_d] == ["merge"]
    assert Notification.objects.filter(to="t@example.id", event=followup.event).exists()


# --- Item 10: "the same reporter" never points at an anonim report ----------------------------------------


def test_duplicate_hints_do_not_reveal_an_anonim_reporter(submit):
    from django.utils.translation import gettext

    from sikesal.routing import duplicates

    phone = {"name": "Sari", "phone": "081311112222"}
    anonim = submit(is_anonymous=True, reporter=phone)
    plain = submit(reporter=phone)
    for c, other in ((anonim, plain), (plain, anonim)):
        (match,) = [m for m in duplicates.for_complaint(c) if m.complaint_id == other.pk]  # same words: a hint
        assert gettext("the same reporter") not in [str(r) for r in match.reasons]


# --- Item 13: a number that is not public shows its status only --------------------------------------------


def test_tracking_an_unverified_report_shows_its_status_only(client, submit):
    complaint = submit(title="Lampu jalan mati di depan rumah Pak RT")
    page = client.get(f"/lacak/{complaint.tracking_number}/").content.decode()
    assert complaint.tracking_number in page and complaint.title not in page


# --- Item 9: control characters stop at the edge, on every channel ------------------------------------------


def test_control_characters_are_stripped_on_every_channel(client, catalogue, in_state, act):
    bell = "Jalan\x07 berlubang\x1b dalam\x0b di Jl. Sudirman\x00"
    response = client.post(
        "/api/v1/reports",
        {**REPORT, "title": bell, "reporter": {"name": "R\x07ina", "phone": "081298765432"}},
        content_type="application/json",
        HTTP_X_API_KEY=make_key("kios-ctl", ["reports:file"]) and "kios-ctl",
    )
    assert response.status_code == 201, response.content
    c = Complaint.objects.get(tracking_number=response.json()["tracking_number"])
    assert c.title == "Jalan berlubang dalam di Jl. Sudirman" and c.reporter.name == "Rina"
    other = in_state("dispositioned")
    event = act(other, "add_followup", message="Sudah\x07 ditinjau.\tBesok ditambal.\n").event
    assert event.message == "Sudah ditinjau.\tBesok ditambal."


def test_open311_updates_need_an_acting_key_of_the_reports_institution(client, in_state, opd, other_opd):
    complaint = in_state("dispositioned")  # with Dinas PUPR
    make_key("kios-o311", ["reports:file", "reports:read"])
    make_key("perkim-o311", ["reports:act"], other_opd)
    make_key("pupr-o311", ["reports:act"], opd)
    url = "/open311/v2/servicerequestupdates.json"
    form = {"service_request_id": complaint.tracking_number, "status": "fixed", "description": "Sudah."}
    for refused in ("kios-o311", "perkim-o311"):  # refused as such (403): the id is followable by anyone
        assert client.post(url, {**form, "api_key": refused}).status_code == 403, refused
    complaint.refresh_from_db()
    assert complaint.status == "dispositioned"
    assert client.post(url, {**form, "api_key": "pupr-o311"}).status_code == 200
    complaint.refresh_from_db()
    assert complaint.status == "followed_up"
    # on a rahasia report of another OPD nothing moves either
    secret = in_state("dispositioned")
    Complaint.objects.filter(pk=secret.pk).update(is_secret=True, institution=other_opd)
    form = {"service_request_id": secret.tracking_number, "status": "internal_referral", "api_key": "pupr-o311"}
    assert client.post(url, form).status_code == 403
    secret.refresh_from_db()
    assert secret.status == "dispositioned"


def test_numbers_cannot_be_enumerated_on_any_channel(client, in_state, settings):
    settings.SIKESAL_RATE_LIMITS = {**settings.SIKESAL_RATE_LIMITS, "track_per_ip_per_minute": 5}
    c = in_state("dispositioned")
    for _ in range(4):
        assert client.get(f"/open311/v2/tokens/{c.tracking_number}.json").status_code == 200
    many = ",".join(f"JBI-2611-{i:04d}" for i in range(10))  # ten guesses in one call count as ten
    assert client.get("/open311/v2/requests.json", {"service_request_id": many}).status_code == 429
    # the budget is shared by every channel that looks a number up
    assert client.get(f"/open311/v2/requests/{c.tracking_number}.json").status_code == 429
    assert client.get(f"/lacak/{c.tracking_number}/").status_code == 429
    assert client.get(f"/laporan/{c.tracking_number}/").status_code == 429


def test_the_api_docs_load_nothing_from_outside_and_keep_the_csp(client, db):
    response = client.get("/api/v1/docs")
    html = response.content.decode()
    assert response.status_code == 200 and "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "https://" not in html and "<script>" not in html
    assert "script-src 'self'" in response["Content-Security-Policy"]
