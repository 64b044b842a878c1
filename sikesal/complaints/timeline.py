"""Reading the timeline for an audience: what each kind of reader may see, and how events are named."""

from django.utils.translation import gettext_lazy as _

from sikesal.accounts.roles import OPD_ROLES, Role
from sikesal.complaints import actions, deadlines
from sikesal.complaints.actions import Action
from sikesal.complaints.states import Visibility

AUDIENCE_VISIBILITY = {
    "public": [Visibility.PUBLIC],
    "reporter": [Visibility.PUBLIC, Visibility.REPORTER],
    "staff": [Visibility.PUBLIC, Visibility.REPORTER, Visibility.STAFF],
}

ACTION_LABELS = actions.LABELS  # every action has one: its ActionSpec in actions.ACTIONS


def events_for(complaint, audience):
    return (
        complaint.events.filter(visibility__in=AUDIENCE_VISIBILITY[audience])
        .select_related("actor__institution")
        .order_by("created_at", "id")
    )


def actor_display(event):
    """Who acted, as the public may read it: an institution or a role, never a reporter's name."""
    if event.actor_role == Role.CITIZEN:
        return _("Reporter")
    if event.actor_role == Role.SYSTEM:
        return "SIKESAL"
    if event.actor_role in OPD_ROLES and event.actor and event.actor.institution:
        return event.actor.institution.short_name
    if event.actor_role == Role.ADMIN:
        return _("Admin koordinator")
    return _("Staff")


LADDER_LABELS = {
    "reminder": _("Reminder: a deadline is near"),
    "overdue": _("Deadline passed"),
    "escalated": _("Escalated: deadline long passed"),
}


def action_label(event):
    if event.action == Action.MARK_OVERDUE:
        stage = LADDER_LABELS.get(event.payload.get("stage", "overdue"), "")
        return f"{stage} ({deadlines.label(event.payload.get('deadline'))})"
    return ACTION_LABELS.get(event.action, event.action)
