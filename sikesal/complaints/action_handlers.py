"""What each action does to a report: one handler per action, reading the action's data from a
`Change` and filling in the report, the event's message and payload. The lifecycle (lifecycle.py) calls
them inside its transaction after the policy and the state table allowed the action; who may act is
policy.py's, how an action is labelled and told is actions.py's."""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from sikesal.catalogue import calendar
from sikesal.catalogue.models import Institution, InstitutionKind
from sikesal.complaints import policy
from sikesal.complaints.actions import Action
from sikesal.complaints.deadlines import ending, rungs
from sikesal.complaints.errors import InvalidInput, InvalidTransition
from sikesal.complaints.models import Complaint
from sikesal.complaints.states import (
    OPEN_STATES,
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


def supply_info(ch):
    ch.message = ch.require_text("message", _("The information"))


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
    c = ch.complaint
    raw = ch.data.get("officer")
    officer = policy.assignable_officers(c).filter(pk=raw).first() if raw else None
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


def complete_followup(ch):
    c = ch.complaint
    ch.message = ch.require_text("message", _("The final follow-up"))
    c.first_response_at = c.first_response_at or ch.now
    c.followup_completed_at = ch.now


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
    if ch.message and ch.data.get("comment_private"):
        # The reporter chose it: the comment is for the agency, not the public timeline (the form says which).
        ch.visibility = Visibility.REPORTER


def dispute(ch):
    c = ch.complaint
    ch.message = ch.require_text("message", _("What is still wrong"))
    c.reopen_count += 1
    c.closed_at = None


def rate(ch):
    _rating(ch, required=True)
    ch.message = ch.complaint.rating_comment


def comment(ch):
    ch.message = ch.require_text("message", _("The reply"))


def close_admin(ch):
    ch.message = str(ch.data.get("message") or "").strip()


def _require_passed(ch, action):
    """The sweep's automatic `action` is taken only once the deadline whose passing takes it has passed."""
    due = min((d for spec in ending(action) if (d := getattr(ch.complaint, spec.field)) is not None), default=None)
    if due is None or due > ch.now:
        raise InvalidTransition("not_due", _("The deadline has not passed yet."))
    ch.payload["due_at"] = due.isoformat()


def close_system(ch):
    _require_passed(ch, Action.CLOSE_SYSTEM)


def archive_system(ch):
    _require_passed(ch, Action.ARCHIVE_SYSTEM)


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
                c.closed_at = None
        elif wanted != ch.complaint.status:
            ch.payload["status_not_applied"] = wanted


def record_ombudsman(ch):
    """A delivery attempt of the escalation file, or the Ombudsman's own progress, on the timeline."""
    kind = ch.data.get("kind")
    if kind == "attempt":
        ch.payload.update(kind=kind, ok=bool(ch.data.get("ok")), error=str(ch.data.get("error") or "")[:300])
        ch.visibility = Visibility.STAFF  # the machinery's retries: the reporter hears of the Ombudsman's progress
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
    rung = next((r for r in rungs(ch.complaint) if r.deadline == name and r.stage == stage), None)
    if rung is None or rung.at > ch.now:  # not an active deadline, not a rung of it, or not yet due
        raise InvalidTransition("not_overdue", _("This deadline is not overdue."))
    key, due = rung.key, rung.due
    if key in ch.complaint.overdue_marks:
        raise InvalidTransition("already_marked", _("This deadline was already marked overdue."))
    ch.complaint.overdue_marks = [*ch.complaint.overdue_marks, key]
    ch.payload.update(
        deadline=name,
        stage=stage,
        due_at=due.isoformat(),
        working_days_late=calendar.working_days_between(due, ch.now),
    )
