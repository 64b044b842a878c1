"""Reading the timeline for an audience: what each kind of reader may see, and how events are named."""

from django.utils.translation import gettext_lazy as _

from sikesal.accounts.roles import OPD_ROLES, Role
from sikesal.complaints.states import Visibility

AUDIENCE_VISIBILITY = {
    "public": [Visibility.PUBLIC],
    "reporter": [Visibility.PUBLIC, Visibility.REPORTER],
    "staff": [Visibility.PUBLIC, Visibility.REPORTER, Visibility.STAFF],
}

ACTION_LABELS = {
    "submit": _("Report received"),
    "verify": _("Verified and dispositioned"),
    "request_info": _("More information requested"),
    "supply_info": _("Information supplied by the reporter"),
    "archive": _("Archived"),
    "withdraw": _("Withdrawn by the reporter"),
    "return_not_authority": _("Returned: not the OPD's authority"),
    "redisposition": _("Dispositioned to another OPD"),
    "forward_external": _("Forwarded to another institution"),
    "start": _("Being handled by the OPD"),
    "add_followup": _("Follow-up"),
    "complete_followup": _("Follow-up completed"),
    "confirm": _("Confirmed as resolved by the reporter"),
    "dispute": _("Disputed by the reporter: reopened"),
    "rate": _("Rated by the reporter"),
    "comment": _("Reply from the reporter"),
    "close_admin": _("Closed by the admin"),
    "close_system": _("Closed by the system: no answer from the reporter"),
    "archive_system": _("Archived by the system: information not supplied"),
    "merge": _("Merged with another report"),
    "escalate_ombudsman": _("Escalated to the Ombudsman"),
    "mark_overdue": _("Deadline passed"),
}


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


def action_label(event):
    return ACTION_LABELS.get(event.action, event.action)
