"""The one door: every change of a complaint's state passes through `transition` (a new report through
submission.submit).

Each call, in one database transaction: locks the complaint row, checks that the actor may take the
action (policy.may) from the current state (TRANSITIONS), applies the action, recomputes the deadlines,
appends an immutable timeline event and enqueues the side effects (a task row in the same
transaction: if the change rolls back, so does the task). docs/lifecycle.md has the table in words.
"""

from dataclasses import dataclass
from functools import cached_property

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sikesal.complaints import action_handlers as h
from sikesal.complaints import actions, policy
from sikesal.complaints.action_handlers import MIRROR_KINDS, MIRROR_TARGETS, OMBUDSMAN_STATES, Change  # noqa: F401
from sikesal.complaints.actions import Action
from sikesal.complaints.attachments import check_uploads
from sikesal.complaints.deadlines import (  # noqa: F401 - part of the lifecycle's interface
    LADDER_DEADLINES,
    active_deadlines,
    deadline_event,
    follow_event,
    initial_deadlines,
    ladder_points,
    mark_key,
    refresh_deadlines,
    rungs,
    wd,
)
from sikesal.complaints.errors import ConcurrentChange, InvalidInput, InvalidTransition, NotAllowed
from sikesal.complaints.events import Result, new_event, save_event, store_attachment
from sikesal.complaints.intake import without_controls
from sikesal.complaints.models import Complaint
from sikesal.complaints.states import (
    CLOSED_STATES,
    OPEN_STATES,
    WITH_OPD_STATES,
    Status,
)

S = Status


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset
    target: str | None  # None: the state does not change
    apply: object

    @cached_property  # the action table does not change; read per step by the set-based sweep
    def visibility(self):
        return actions.spec(self.action).visibility

    @property
    def roles(self):
        return policy.ACTION_ROLES[self.action]


_ALL_BUT_MERGED = frozenset(Status.values) - {S.MERGED}
T = Transition

# Which states each action moves between. Who may perform it is the policy's (policy.ACTION_ROLES); its
# label, audience and notification are the action table's (actions.ACTIONS).
TRANSITIONS = {
    t.action: t
    for t in [
        T(Action.SUBMIT, frozenset(), S.RECEIVED, None),
        T(Action.VERIFY, frozenset({S.RECEIVED, S.PENDING_INFO}), S.DISPOSITIONED, h.verify),
        T(Action.REQUEST_INFO, frozenset({S.RECEIVED}), S.PENDING_INFO, h.request_info),
        T(Action.SUPPLY_INFO, frozenset({S.PENDING_INFO}), S.RECEIVED, h.supply_info),
        T(Action.ARCHIVE, frozenset({S.RECEIVED, S.PENDING_INFO, S.RETURNED}), S.ARCHIVED_ADMIN, h.archive),
        T(Action.WITHDRAW, frozenset({S.RECEIVED, S.PENDING_INFO}), S.ARCHIVED_REPORTER, h.withdraw),
        T(Action.RETURN_NOT_AUTHORITY, frozenset({S.DISPOSITIONED, S.IN_PROGRESS}), S.RETURNED, h.return_not_authority),
        T(
            Action.REDISPOSITION,
            frozenset({S.RETURNED, S.DISPOSITIONED, S.IN_PROGRESS}),
            S.DISPOSITIONED,
            h.redisposition,
        ),
        T(
            Action.FORWARD_EXTERNAL,
            frozenset({S.RECEIVED, S.PENDING_INFO, S.RETURNED}),
            S.FORWARDED,
            h.forward_external,
        ),
        T(Action.START, frozenset({S.DISPOSITIONED}), S.IN_PROGRESS, h.start),
        T(Action.ASSIGN, WITH_OPD_STATES, None, h.assign),
        T(Action.SET_FLAGS, OPEN_STATES, None, h.set_flags),
        T(Action.ADD_FOLLOWUP, frozenset({S.DISPOSITIONED, S.IN_PROGRESS}), S.IN_PROGRESS, h.add_followup),
        T(Action.COMPLETE_FOLLOWUP, frozenset({S.DISPOSITIONED, S.IN_PROGRESS}), S.FOLLOWED_UP, h.complete_followup),
        T(Action.CONFIRM, frozenset({S.FOLLOWED_UP}), S.CLOSED_REPORTER, h.confirm),
        T(Action.DISPUTE, frozenset({S.FOLLOWED_UP, S.CLOSED_SYSTEM}), S.IN_PROGRESS, h.dispute),
        T(Action.RATE, frozenset({S.FOLLOWED_UP, S.CLOSED_REPORTER, S.CLOSED_ADMIN, S.CLOSED_SYSTEM}), None, h.rate),
        T(Action.COMMENT, OPEN_STATES, None, h.comment),
        T(Action.CLOSE_ADMIN, frozenset({S.FOLLOWED_UP}), S.CLOSED_ADMIN, h.close_admin),
        T(Action.CLOSE_SYSTEM, frozenset({S.FOLLOWED_UP}), S.CLOSED_SYSTEM, h.close_system),
        T(Action.ARCHIVE_SYSTEM, frozenset({S.PENDING_INFO}), S.ARCHIVED_SYSTEM, h.archive_system),
        T(
            Action.MERGE,
            frozenset({S.RECEIVED, S.PENDING_INFO, S.DISPOSITIONED, S.IN_PROGRESS, S.RETURNED}),
            S.MERGED,
            h.merge,
        ),
        T(Action.ESCALATE_OMBUDSMAN, _ALL_BUT_MERGED, None, h.escalate_ombudsman),
        T(Action.MARK_OVERDUE, OPEN_STATES, None, h.mark_overdue),
        T(Action.LAPOR_MIRROR, _ALL_BUT_MERGED, None, h.lapor_mirror),
        T(Action.RECORD_OMBUDSMAN, _ALL_BUT_MERGED, None, h.record_ombudsman),
    ]
}


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


# Actions that may carry files: evidence of a follow-up (the "after" photos), or what a reporter adds.
FILE_ACTIONS = actions.FILE_ACTIONS


def transition(complaint, action, actor, *, now=None, expected_version=None, files=(), **data):
    """Apply `action` to `complaint` as `actor`. Raises a LifecycleError and writes nothing if refused."""
    spec = TRANSITIONS.get(action)
    if spec is None or action == Action.SUBMIT:
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
        from_status, change = apply(c, action, spec, actor, now, data)
        updated = Complaint.objects.filter(pk=c.pk, version=c.version).update(
            version=c.version + 1, **{name: getattr(c, name) for name in _saved_fields()}
        )
        if updated != 1:  # a writer slipped past the row lock (cannot happen on PostgreSQL or IMMEDIATE SQLite)
            raise ConcurrentChange(
                "stale", _("The report was changed by someone else meanwhile; reload and try again.")
            )
        c.version += 1
        if checked:
            change.payload["attachments"] = len(checked)
        event = save_event(
            new_event(c, action, actor, now, from_status, change.visibility, change.message, change.payload)
        )
        for item in checked:
            store_attachment(c, item, stored, event=event, visibility=change.visibility)
    return Result(c, event)


def apply(c, action, spec, actor, now, data):
    """The rules of one action on one report already read (and locked) by the caller, in memory: the
    policy, the state table, the action's handler, the new state and the recomputed deadlines. Writes
    nothing. The door calls it under the row lock; the set-based sweep (sweep.py) calls it for the rows of
    a claimed batch and writes them together. Returns (from_status, change) with change.visibility set."""
    if not policy.may(actor, action, c):
        raise NotAllowed("not_allowed", _("You may not do this on this report."))
    if c.status not in spec.sources:
        raise InvalidTransition(
            "invalid_transition",
            _("This action is not possible while the report is “%(status)s”.") % {"status": c.get_status_display()},
        )
    change = Change(complaint=c, actor=actor, now=now, data=data)
    spec.apply(change)
    follow_event(c, deadline_event(action, change), now)  # the deadlines this action starts and stops
    from_status = c.status
    target = change.target or spec.target
    if target is not None and target != c.status:
        c.status = target
        c.status_changed_at = now
    if c.status in CLOSED_STATES and c.closed_at is None:
        c.closed_at = now
    refresh_deadlines(c)
    c.updated_at = now
    change.visibility = change.visibility or spec.visibility
    return from_status, change
