"""The one door: every change of a complaint's state passes through `transition` (or `submit`).

Each call, in one database transaction: locks the complaint row, checks that the actor may take the
action (policy.may) from the current state (TRANSITIONS), applies the action, recomputes the deadlines,
appends an immutable timeline event and enqueues the side effects (a task row in the same
transaction: if the change rolls back, so does the task). docs/lifecycle.md has the table in words.
"""

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sikesal.accounts.roles import OPD_ROLES, Role
from sikesal.catalogue import calendar
from sikesal.catalogue.models import Institution, InstitutionKind
from sikesal.complaints import actions, effects, policy
from sikesal.complaints.attachments import check_uploads
from sikesal.complaints.errors import ConcurrentChange, InvalidInput, InvalidTransition, NotAllowed
from sikesal.complaints.intake import clean_report, without_controls
from sikesal.complaints.models import Attachment, Complaint, Event, Reporter, hash_secret
from sikesal.complaints.states import (
    CLOSED_STATES,
    OPEN_STATES,
    WITH_OPD_STATES,
    ArchiveReason,
    Status,
    Visibility,
)

S = Status


@dataclass
class Change:
    """What an action handler reads and fills in."""

    complaint: Complaint
    actor: policy.Actor
    now: dt.datetime
    data: dict
    message: str = ""
    payload: dict = field(default_factory=dict)
    visibility: str | None = None
    target: str | None = None  # set by an action whose new state depends on its data (lapor_mirror)

    def require_text(self, name, label):
        value = str(self.data.get(name) or "").strip()
        if not value:
            raise InvalidInput(
                "missing_" + name, _("%(label)s is required.") % {"label": label}, {name: [_("Required.")]}
            )
        if len(value) > settings.SIKESAL_BODY_MAX:
            raise InvalidInput(
                "too_long",
                _("The text is at most %(n)d characters.") % {"n": settings.SIKESAL_BODY_MAX},
                {name: [_("Too long.")]},
            )
        return value


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset
    target: str | None  # None: the state does not change
    apply: object

    @property
    def visibility(self):
        return actions.spec(self.action).visibility

    @property
    def roles(self):
        return policy.ACTION_ROLES[self.action]


@dataclass
class Result:
    complaint: Complaint
    event: Event
    secret: str | None = None  # the private-link secret, known only right after submission
    replayed: bool = False  # an idempotent repeat of an earlier submission


def wd(name):
    return calendar.deadline_rule(name)


# --- Action handlers --------------------------------------------------------------------------------


def _institution(ch, name="institution", external=False):
    value = ch.data.get(name)
    inst = (
        value
        if isinstance(value, Institution)
        else Institution.objects.filter(pk=value, active=True).first()
        if value
        else None
    )
    if inst is None or not inst.active:
        raise InvalidInput(
            "unknown_institution", _("Choose an active institution."), {name: [_("Unknown institution.")]}
        )
    if external and inst.kind != InstitutionKind.EXTERNAL:
        raise InvalidInput(
            "not_external",
            _("Forward only to institutions outside the city's authority."),
            {name: [_("Not external.")]},
        )
    if not external and inst.kind == InstitutionKind.EXTERNAL:
        raise InvalidInput(
            "external_institution",
            _("An external institution is reached by forwarding, not by disposition."),
            {name: [_("Use forward instead.")]},
        )
    return inst


def _apply_flags(ch):
    """Admins may reclassify and set anonim/rahasia while verifying (agency admins forgot to, once)."""
    c = ch.complaint
    for flag in ("is_anonymous", "is_secret"):
        if flag in ch.data and ch.data[flag] is not None:
            setattr(c, flag, bool(ch.data[flag]))
    if ch.data.get("classification") is not None:
        c.classification = ch.data["classification"]
    if ch.data.get("service") is not None:
        c.service = ch.data["service"]


def _co_institutions(ch, main):
    """Other city OPDs that help the main one (verify/redisposition may name them)."""
    raw = ch.data.get("co_institutions") or []
    ids = {int(x) for x in raw if str(x).isdigit()} - {main.pk}
    found = list(Institution.objects.filter(pk__in=ids, active=True).exclude(kind=InstitutionKind.EXTERNAL))
    if len(found) != len(ids):
        raise InvalidInput(
            "unknown_institution", _("Choose active city OPDs."), {"co_institutions": [_("Unknown institution.")]}
        )
    return found


def _dispose_to(ch, inst):
    c = ch.complaint
    co = _co_institutions(ch, inst)
    c.co_institutions.set(co)
    if co:
        ch.payload["co_institutions"] = [i.short_name for i in co]
    c.institution = inst
    c.assigned_officer = None
    c.followup_due_at = calendar.add_working_days(ch.now, wd("first_followup_working_days"))
    c.verify_due_at = None
    # "Catatan untuk OPD" is for the OPD: kept in the payload, which only staff pages show, never in the
    # event's message that the public page, the reporter's e-mail, the API and Open311 carry.
    note = str(ch.data.get("note") or "").strip()[:5000]
    if note:
        ch.payload["note"] = note
    ch.payload.update(institution_id=inst.pk, institution=inst.short_name)


def verify(ch):
    inst = _institution(ch)
    _apply_flags(ch)
    ch.complaint.verified_at = ch.complaint.verified_at or ch.now
    _dispose_to(ch, inst)


def redisposition(ch):
    inst = _institution(ch)
    if inst.pk == ch.complaint.institution_id:
        raise InvalidInput(
            "same_institution", _("The report is already with this OPD."), {"institution": [_("Same OPD.")]}
        )
    _dispose_to(ch, inst)


def request_info(ch):
    ch.message = ch.require_text("message", _("The question to the reporter"))
    ch.complaint.verify_due_at = None
    ch.complaint.info_due_at = calendar.add_days(ch.now, wd("pending_info_days"))


def supply_info(ch):
    ch.message = ch.require_text("message", _("The information"))
    ch.complaint.info_due_at = None
    ch.complaint.verify_due_at = calendar.add_working_days(ch.now, wd("verify_working_days"))


def archive(ch):
    reason = ch.data.get("reason")
    if reason not in ArchiveReason.values:
        raise InvalidInput("missing_reason", _("Choose a reason for archiving."), {"reason": [_("Choose a reason.")]})
    ch.message = ch.require_text("message", _("The explanation"))
    ch.payload["reason"] = reason


def withdraw(ch):
    ch.message = str(ch.data.get("message") or "").strip()


def return_not_authority(ch):
    c = ch.complaint
    ch.message = ch.require_text("message", _("The reason"))
    ch.payload.update(institution_id=c.institution_id, institution=str(c.institution))
    c.institution = None  # back with the admin koordinator; the OPD no longer holds it
    c.assigned_officer = None
    c.co_institutions.clear()
    c.followup_due_at = None
    c.verify_due_at = calendar.add_working_days(ch.now, wd("verify_working_days"))


def forward_external(ch):
    inst = _institution(ch, external=True)
    ch.complaint.forwarded_to = inst
    ch.complaint.institution = None
    ch.message = str(ch.data.get("message") or "").strip()
    ch.payload.update(
        institution_id=inst.pk, institution=inst.short_name, lapor_institution_id=inst.lapor_institution_id
    )


def start(ch):
    pass


def assign(ch):
    """The OPD hands the report to one of its officers (or back to nobody)."""
    from sikesal.accounts.models import User

    c = ch.complaint
    raw = ch.data.get("officer")
    officer = (
        User.objects.filter(pk=raw, institution_id=c.institution_id, role__in=OPD_ROLES, is_active=True).first()
        if raw
        else None
    )
    if raw and officer is None:
        raise InvalidInput("unknown_officer", _("Choose an officer of this OPD."), {"officer": [_("Unknown officer.")]})
    c.assigned_officer = officer
    ch.payload["officer"] = (officer.get_full_name() or officer.get_username()) if officer else ""
    ch.message = str(ch.data.get("note") or "").strip()


def set_flags(ch):
    """Admins correct anonim/rahasia and the classification at any time (reporters were exposed once)."""
    c = ch.complaint
    before = {"is_anonymous": c.is_anonymous, "is_secret": c.is_secret, "classification": c.classification}
    _apply_flags(ch)
    after = {"is_anonymous": c.is_anonymous, "is_secret": c.is_secret, "classification": c.classification}
    changed = {k: after[k] for k in after if after[k] != before[k]}
    if not changed:
        raise InvalidInput("nothing_changed", _("Nothing was changed."), {})
    ch.payload.update(changed)


def add_followup(ch):
    ch.message = ch.require_text("message", _("The follow-up"))
    internal = bool(ch.data.get("internal"))
    ch.visibility = Visibility.STAFF if internal else Visibility.PUBLIC
    if not internal:
        ch.complaint.first_response_at = ch.complaint.first_response_at or ch.now
        ch.complaint.followup_due_at = None


def complete_followup(ch):
    c = ch.complaint
    ch.message = ch.require_text("message", _("The final follow-up"))
    c.first_response_at = c.first_response_at or ch.now
    c.followup_completed_at = ch.now
    c.followup_due_at = None
    c.reporter_due_at = calendar.add_working_days(ch.now, wd("reporter_silence_working_days"))


def _rating(ch, required):
    raw = ch.data.get("rating")
    if raw in (None, ""):
        if required:
            raise InvalidInput("missing_rating", _("Give a rating from 1 to 5."), {"rating": [_("Required.")]})
        return
    try:
        rating = int(raw)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise InvalidInput("invalid_rating", _("Give a rating from 1 to 5."), {"rating": [_("From 1 to 5.")]})
    ch.complaint.rating = rating
    ch.complaint.rating_comment = str(ch.data.get("comment") or "").strip()[:2000]
    ch.payload["rating"] = rating


def confirm(ch):
    _rating(ch, required=False)
    ch.message = str(ch.data.get("comment") or "").strip()[:2000]
    ch.complaint.reporter_due_at = None


def dispute(ch):
    c = ch.complaint
    ch.message = ch.require_text("message", _("What is still wrong"))
    c.reopen_count += 1
    c.reporter_due_at = None
    c.closed_at = None
    c.followup_due_at = calendar.add_working_days(ch.now, wd("first_followup_working_days"))


def rate(ch):
    _rating(ch, required=True)
    ch.message = ch.complaint.rating_comment


def comment(ch):
    ch.message = ch.require_text("message", _("The reply"))


def close_admin(ch):
    ch.message = str(ch.data.get("message") or "").strip()
    ch.complaint.reporter_due_at = None


def _require_passed(ch, field_name):
    due = getattr(ch.complaint, field_name)
    if due is None or due > ch.now:
        raise InvalidTransition("not_due", _("The deadline has not passed yet."))
    ch.payload["due_at"] = due.isoformat()


def close_system(ch):
    _require_passed(ch, "reporter_due_at")
    ch.complaint.reporter_due_at = None


def archive_system(ch):
    _require_passed(ch, "info_due_at")
    ch.complaint.info_due_at = None


def merge(ch):
    c = ch.complaint
    target = ch.data.get("target")
    if not isinstance(target, Complaint):
        target = Complaint.objects.filter(tracking_number=str(target or "").strip().upper()).first()
    if target is None or target.pk == c.pk or target.status == S.MERGED:
        raise InvalidInput(
            "invalid_merge_target",
            _("Choose another report that is not itself merged."),
            {"target": [_("Invalid report.")]},
        )
    c.merged_into = target
    ch.message = str(ch.data.get("message") or "").strip()
    ch.payload.update(target=target.tracking_number)


def escalate_ombudsman(ch):
    # Only the escalation service (integrations/ombudsman/service.py) takes this step, after checking
    # eligibility and the identity the law requires and inside the transaction that writes the file:
    # every channel (web, REST) goes through it, none sets the field on its own.
    if ch.data.get("via_service") is not True:
        raise InvalidTransition(
            "use_escalation_service",
            _("A report is taken to the Ombudsman through its own form (eligibility and identity)."),
        )
    if ch.complaint.ombudsman_escalated_at:
        raise InvalidTransition("already_escalated", _("The report has already been escalated to the Ombudsman."))
    ch.complaint.ombudsman_escalated_at = ch.now


OMBUDSMAN_STATES = ("sent", "received", "examining", "closed")

# What a change seen on SP4N-LAPOR! may do to the local report: the state it asks for, and the local
# states it may come from. Anything else is recorded on the timeline without changing the state.
MIRROR_TARGETS = {
    # Closed or archived on SP4N-LAPOR! (by the reporter or the national admin) while open here: SP4N-LAPOR!
    # is where the reporter decided, so the local report follows (docs/lapor.md, "Conflicts").
    **dict.fromkeys(
        (S.CLOSED_REPORTER, S.CLOSED_ADMIN, S.CLOSED_SYSTEM, S.ARCHIVED_ADMIN, S.ARCHIVED_SYSTEM, S.ARCHIVED_REPORTER),
        OPEN_STATES,
    ),
    S.IN_PROGRESS: frozenset({S.FOLLOWED_UP, S.CLOSED_SYSTEM}),  # the reporter disputed on LAPOR!
}
MIRROR_KINDS = ("followup", "status")


def lapor_mirror(ch):
    """A follow-up or status change made on SP4N-LAPOR! (by the reporter, the national admin or another
    institution), entering the local timeline. Only the sync calls this, as the system."""
    kind = ch.data.get("kind")
    if kind not in MIRROR_KINDS:
        raise InvalidInput("invalid_mirror", _("Unknown SP4N-LAPOR! update."), {"kind": [_("Unknown.")]})
    ch.message = str(ch.data.get("message") or "").strip()[:5000]
    ch.payload.update(
        kind=kind,
        source=str(ch.data.get("source") or "")[:120],
        lapor_status=str(ch.data.get("lapor_status") or "")[:120],
        lapor_id=str(ch.data.get("lapor_id") or "")[:40],
    )
    if ch.data.get("internal"):
        ch.visibility = Visibility.STAFF
    if ch.data.get("ombudsman_taken_over") and not ch.complaint.ombudsman_taken_over:
        ch.complaint.ombudsman_taken_over = True
        ch.payload["ombudsman_taken_over"] = True
    wanted = ch.data.get("status")
    if wanted:
        if wanted in MIRROR_TARGETS and ch.complaint.status in MIRROR_TARGETS[wanted]:
            ch.target = wanted
            if wanted == S.IN_PROGRESS:  # reopened as a local dispute would be
                c = ch.complaint
                c.reopen_count += 1
                c.reporter_due_at = None
                c.closed_at = None
                c.followup_due_at = calendar.add_working_days(ch.now, wd("first_followup_working_days"))
        elif wanted != ch.complaint.status:
            ch.payload["status_not_applied"] = wanted


def record_ombudsman(ch):
    """A delivery attempt of the escalation file, or the Ombudsman's own progress, on the timeline."""
    kind = ch.data.get("kind")
    if kind == "attempt":
        ch.payload.update(kind=kind, ok=bool(ch.data.get("ok")), error=str(ch.data.get("error") or "")[:300])
    elif kind == "state" and ch.data.get("state") in OMBUDSMAN_STATES:
        ch.payload.update(kind=kind, state=ch.data["state"])
        ch.message = str(ch.data.get("message") or "").strip()[:2000]
    else:
        raise InvalidInput("invalid_ombudsman_record", _("Unknown Ombudsman update."), {"state": [_("Unknown.")]})
    if not ch.complaint.ombudsman_escalated_at:
        raise InvalidTransition("not_escalated", _("The report was not escalated to the Ombudsman."))


def mark_overdue(ch):
    """Record one rung of the escalation ladder: reminder before, overdue at, escalated after a deadline."""
    name, stage = ch.data.get("deadline"), ch.data.get("stage") or "overdue"
    due = active_deadlines(ch.complaint).get(name)
    point = ladder_points(ch.complaint).get((name, stage))
    if due is None or point is None or point > ch.now:
        raise InvalidTransition("not_overdue", _("This deadline is not overdue."))
    key = mark_key(name, due, stage)
    if key in ch.complaint.overdue_marks:
        raise InvalidTransition("already_marked", _("This deadline was already marked overdue."))
    ch.complaint.overdue_marks = [*ch.complaint.overdue_marks, key]
    ch.payload.update(
        deadline=name,
        stage=stage,
        due_at=due.isoformat(),
        working_days_late=calendar.working_days_between(due, ch.now),
    )


_ALL_BUT_MERGED = frozenset(Status.values) - {S.MERGED}
T = Transition

# Which states each action moves between. Who may perform it is the policy's (policy.ACTION_ROLES); its
# label, audience and notification are the action table's (actions.ACTIONS).
TRANSITIONS = {
    t.action: t
    for t in [
        T("submit", frozenset(), S.RECEIVED, None),
        T("verify", frozenset({S.RECEIVED, S.PENDING_INFO}), S.DISPOSITIONED, verify),
        T("request_info", frozenset({S.RECEIVED}), S.PENDING_INFO, request_info),
        T("supply_info", frozenset({S.PENDING_INFO}), S.RECEIVED, supply_info),
        T("archive", frozenset({S.RECEIVED, S.PENDING_INFO, S.RETURNED}), S.ARCHIVED_ADMIN, archive),
        T("withdraw", frozenset({S.RECEIVED, S.PENDING_INFO}), S.ARCHIVED_REPORTER, withdraw),
        T("return_not_authority", frozenset({S.DISPOSITIONED, S.IN_PROGRESS}), S.RETURNED, return_not_authority),
        T("redisposition", frozenset({S.RETURNED, S.DISPOSITIONED, S.IN_PROGRESS}), S.DISPOSITIONED, redisposition),
        T("forward_external", frozenset({S.RECEIVED, S.PENDING_INFO, S.RETURNED}), S.FORWARDED, forward_external),
        T("start", frozenset({S.DISPOSITIONED}), S.IN_PROGRESS, start),
        T("assign", WITH_OPD_STATES, None, assign),
        T("set_flags", OPEN_STATES, None, set_flags),
        T("add_followup", frozenset({S.DISPOSITIONED, S.IN_PROGRESS}), S.IN_PROGRESS, add_followup),
        T("complete_followup", frozenset({S.DISPOSITIONED, S.IN_PROGRESS}), S.FOLLOWED_UP, complete_followup),
        T("confirm", frozenset({S.FOLLOWED_UP}), S.CLOSED_REPORTER, confirm),
        T("dispute", frozenset({S.FOLLOWED_UP, S.CLOSED_SYSTEM}), S.IN_PROGRESS, dispute),
        T("rate", frozenset({S.FOLLOWED_UP, S.CLOSED_REPORTER, S.CLOSED_ADMIN, S.CLOSED_SYSTEM}), None, rate),
        T("comment", OPEN_STATES, None, comment),
        T("close_admin", frozenset({S.FOLLOWED_UP}), S.CLOSED_ADMIN, close_admin),
        T("close_system", frozenset({S.FOLLOWED_UP}), S.CLOSED_SYSTEM, close_system),
        T("archive_system", frozenset({S.PENDING_INFO}), S.ARCHIVED_SYSTEM, archive_system),
        T(
            "merge",
            frozenset({S.RECEIVED, S.PENDING_INFO, S.DISPOSITIONED, S.IN_PROGRESS, S.RETURNED}),
            S.MERGED,
            merge,
        ),
        T("escalate_ombudsman", _ALL_BUT_MERGED, None, escalate_ombudsman),
        T("mark_overdue", OPEN_STATES, None, mark_overdue),
        T("lapor_mirror", _ALL_BUT_MERGED, None, lapor_mirror),
        T("record_ombudsman", _ALL_BUT_MERGED, None, record_ombudsman),
    ]
}


# --- Deadlines ----------------------------------------------------------------------------------------


def active_deadlines(c):
    """The deadlines that bind the complaint in its current state: {field name: instant}."""
    s = c.status
    if s not in OPEN_STATES:
        return {}
    active = {}
    if s in (S.RECEIVED, S.RETURNED):
        active["verify_due_at"] = c.verify_due_at
    elif s == S.PENDING_INFO:
        active["info_due_at"] = c.info_due_at
    elif s in (S.DISPOSITIONED, S.IN_PROGRESS):
        active["followup_due_at"] = c.followup_due_at
    elif s == S.FOLLOWED_UP:
        active["reporter_due_at"] = c.reporter_due_at
    if s != S.FOLLOWED_UP:
        active["final_due_at"] = c.final_due_at
    if c.first_response_at is None:
        active["target_due_at"] = c.target_due_at
    return {name: due for name, due in active.items() if due is not None}


# Deadlines that climb the escalation ladder (the others are only marked overdue, or end the report).
LADDER_DEADLINES = frozenset({"verify_due_at", "followup_due_at", "final_due_at"})


def ladder_points(c):
    """{(deadline, stage): instant} for every rung: reminder before, overdue at, escalated after."""
    rules = settings.SIKESAL_ESCALATION
    points = {}
    for name, due in active_deadlines(c).items():
        points[(name, "overdue")] = due
        if name in LADDER_DEADLINES:
            points[(name, "reminder")] = calendar.subtract_working_days(due, rules["reminder_working_days_before"])
            points[(name, "escalated")] = calendar.add_working_days(due, rules["escalate_after_working_days"])
    return points


def mark_key(name, due, stage="overdue"):
    return f"{name}@{due.isoformat()}" + ("" if stage == "overdue" else f"#{stage}")


def refresh_deadlines(c):
    active = active_deadlines(c)
    c.due_at = min(active.values(), default=None)
    pending = [
        point
        for (name, stage), point in ladder_points(c).items()
        if mark_key(name, active[name], stage) not in c.overdue_marks
    ]
    c.next_sweep_at = min(pending, default=None)


def initial_deadlines(c, now):
    c.verify_due_at = calendar.add_working_days(now, wd("verify_working_days"))
    c.final_due_at = calendar.add_days(now, wd("final_days"))
    if c.service is not None:
        c.target_due_at = now + dt.timedelta(hours=c.service.target_hours)


# --- The door -----------------------------------------------------------------------------------------

_SAVED_FIELDS = None


def _saved_fields():
    global _SAVED_FIELDS
    if _SAVED_FIELDS is None:
        _SAVED_FIELDS = [
            f.attname
            for f in Complaint._meta.concrete_fields
            # No action edits these; leaving title/body out also spares the full-text index a rewrite.
            if f.attname not in {"id", "version", "created_at", "secret_hash", "tracking_number", "title", "body"}
        ]
    return _SAVED_FIELDS


def _event(c, action, actor, now, from_status, visibility, message="", payload=None):
    # A reporter's account never appears on the timeline: the Reporter row, behind the policy, is
    # the only link between a person and their report (anonim reports stay anonymous to staff).
    is_reporter = actor.role == Role.CITIZEN
    event = Event.objects.create(
        complaint=c,
        created_at=now,
        action=action,
        actor=None if is_reporter or not getattr(actor.user, "pk", None) else actor.user,
        actor_role=actor.role,
        actor_label="Pelapor" if is_reporter else actor.label[:150],
        from_status=from_status,
        to_status=c.status,
        visibility=visibility,
        message=message,
        payload=payload or {},
    )
    from sikesal.complaints.tasks import dispatch_event

    dispatch_event.enqueue(event.pk)
    for record in effects.recorders():  # in this transaction (complaints/effects.py)
        record(event)
    return event


# Actions that may carry files: evidence of a follow-up (the "after" photos), or what a reporter adds.
FILE_ACTIONS = actions.FILE_ACTIONS


def transition(complaint, action, actor, *, now=None, expected_version=None, files=(), **data):
    """Apply `action` to `complaint` as `actor`. Raises a LifecycleError and writes nothing if refused."""
    spec = TRANSITIONS.get(action)
    if spec is None or action == "submit":
        raise InvalidTransition("unknown_action", _("Unknown action."))
    checked = _check_files(action, files)
    data = without_controls(data)  # the edge for every channel's text (intake.without_controls)
    now = now or timezone.now()
    stored = []
    try:
        result = _transition(complaint, action, spec, actor, now, expected_version, data, checked, stored)
    except BaseException:
        for f in stored:
            f.delete(save=False)
        raise
    if isinstance(complaint, Complaint):
        _copy_state(result.complaint, complaint)
    return result


def _copy_state(fresh, stale):
    """Bring the caller's instance up to date from the row the transition locked and wrote, as
    refresh_from_db would, without reading the row again (that read was a sixth of a sweep's time)."""
    for f in fresh._meta.concrete_fields:
        setattr(stale, f.attname, getattr(fresh, f.attname))
    stale._state.fields_cache = dict(fresh._state.fields_cache)  # related objects as loaded under the lock
    stale._prefetched_objects_cache = {}
    stale._state.db = fresh._state.db


def _check_files(action, files):
    files = list(files or ())
    if not files:
        return []
    if action not in FILE_ACTIONS:
        raise InvalidInput(
            "files_not_allowed", _("This action takes no attachments."), {"attachments": [_("Not allowed.")]}
        )
    checked, errors = check_uploads(files)
    if errors:
        raise InvalidInput(
            "invalid_attachments", _("An attachment was refused; nothing was saved."), {"attachments": errors}
        )
    return checked


def _transition(complaint, action, spec, actor, now, expected_version, data, checked, stored):
    with transaction.atomic():
        c = (
            Complaint.objects.select_for_update(of=("self",))
            .select_related("institution", "service")
            .get(pk=complaint.pk if isinstance(complaint, Complaint) else complaint)
        )
        if expected_version is not None and c.version != expected_version:
            raise ConcurrentChange(
                "stale", _("The report was changed by someone else meanwhile; reload and try again.")
            )
        if not policy.may(actor, action, c):
            raise NotAllowed("not_allowed", _("You may not do this on this report."))
        if c.status not in spec.sources:
            raise InvalidTransition(
                "invalid_transition",
                _("This action is not possible while the report is “%(status)s”.") % {"status": c.get_status_display()},
            )
        change = Change(complaint=c, actor=actor, now=now, data=data)
        spec.apply(change)
        from_status = c.status
        target = change.target or spec.target
        if target is not None and target != c.status:
            c.status = target
            c.status_changed_at = now
        if c.status in CLOSED_STATES and c.closed_at is None:
            c.closed_at = now
        refresh_deadlines(c)
        c.updated_at = now
        updated = Complaint.objects.filter(pk=c.pk, version=c.version).update(
            version=c.version + 1, **{name: getattr(c, name) for name in _saved_fields()}
        )
        if updated != 1:  # a writer slipped past the row lock (cannot happen on PostgreSQL or IMMEDIATE SQLite)
            raise ConcurrentChange(
                "stale", _("The report was changed by someone else meanwhile; reload and try again.")
            )
        c.version += 1
        visibility = change.visibility or spec.visibility
        if checked:
            change.payload["attachments"] = len(checked)
        event = _event(c, action, actor, now, from_status, visibility, change.message, change.payload)
        for item in checked:
            _store_attachment(c, item, stored, event=event, visibility=visibility)
    return Result(c, event)


# --- Submission -----------------------------------------------------------------------------------------

TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read out over the phone


def new_tracking_number(now, length=4):
    local = timezone.localtime(now)
    suffix = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(length))
    return f"{settings.SIKESAL_TRACKING_PREFIX}-{local:%y%m}-{suffix}"


def _secret_for(idempotency_key):
    """With an idempotency key the secret is derived, so a repeated submission can show the same link."""
    if not idempotency_key:
        return Complaint.new_secret()
    digest = hmac.new(settings.SECRET_KEY.encode(), b"complaint-secret:" + idempotency_key.encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def _replay(key):
    existing = Complaint.objects.filter(idempotency_key=key).first()
    if existing is None:
        return None
    return Result(existing, existing.events.order_by("id").first(), secret=_secret_for(key), replayed=True)


def submit(actor, data, files=(), *, now=None):
    """File a new report. Validates everything first; an idempotency key makes repeats harmless."""
    if not policy.may(actor, "submit", None):
        raise NotAllowed("not_allowed", _("You may not file reports here."))
    key = data.get("idempotency_key")
    if key and (replay := _replay(key)):
        return replay
    cleaned = clean_report(data, files)
    now = now or timezone.now()
    secret = _secret_for(cleaned["idempotency_key"])
    stored = []
    try:
        for attempt in range(8):
            try:
                with transaction.atomic():
                    result = _create(actor, cleaned, secret, now, stored, length=4 if attempt < 4 else 6)
                    return result
            except IntegrityError:
                for f in stored:
                    f.delete(save=False)
                stored.clear()
                if key and (replay := _replay(key)):
                    return replay
        raise IntegrityError("could not allocate a tracking number")
    except BaseException:
        for f in stored:
            f.delete(save=False)
        raise


def _store_attachment(c, checked, stored, event=None, visibility=Visibility.PUBLIC):
    att = Attachment(
        complaint=c,
        event=event,
        visibility=visibility,
        kind=checked.kind,
        content_type=checked.content_type,
        extension=checked.extension,
        original_name=checked.original_name,
        size=checked.size,
        sha256=checked.sha256,
    )
    att.file.save("upload", checked.as_django_file(), save=False)
    stored.append(att.file)
    att.save()


def _create(actor, cleaned, secret, now, stored, length):
    c = Complaint(
        tracking_number=new_tracking_number(now, length),
        secret_hash=hash_secret(secret),
        idempotency_key=cleaned["idempotency_key"],
        status=S.RECEIVED,
        submitted_at=now,
        status_changed_at=now,
        **{
            name: cleaned[name]
            for name in (
                "type",
                "channel",
                "title",
                "body",
                "incident_date",
                "latitude",
                "longitude",
                "area",
                "address",
                "service",
                "answers",
                "is_anonymous",
                "is_secret",
            )
        },
    )
    initial_deadlines(c, now)
    refresh_deadlines(c)
    c.save()
    identity = cleaned["reporter"]
    user = identity.get("user") or (actor.user if actor.role == Role.CITIZEN else None)
    if user is not None or any(identity[k] for k in ("name", "phone", "email", "nik")):
        Reporter.objects.create(complaint=c, user=user, **{k: identity[k] for k in ("name", "phone", "email", "nik")})
    for checked in cleaned["attachments"]:
        _store_attachment(c, checked, stored)
    payload = {"channel": c.channel, "attachments": len(cleaned["attachments"])}
    event = _event(c, "submit", actor, now, "", Visibility.PUBLIC, "", payload)
    return Result(c, event, secret=secret)
