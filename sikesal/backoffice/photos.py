"""The report's attachments on the officer's page, grouped by the moment of the handling they show: the
reporter's (before), the OPD's while working on it, and the OPD's final follow-up (after)."""

from django.utils.translation import gettext_lazy as _

from sikesal.complaints import policy
from sikesal.complaints.actions import Action
from sikesal.portal import attachment_links

HEADINGS = {
    "before": _("Before: from the reporter"),
    "during": _("During the handling: the OPD's follow-ups"),
    "after": _("After: the OPD's final follow-up"),
    "other": _("Other attachments"),
}


def _moment(attachment):
    action = attachment.event.action if attachment.event_id else Action.SUBMIT
    if action in (Action.SUBMIT, Action.SUPPLY_INFO):
        return "before"
    if action == Action.ADD_FOLLOWUP:
        return "during"
    if action == Action.COMPLETE_FOLLOWUP:
        return "after"
    return "other"  # the reporter's replies, disputes and the like


def groups(complaint, revealed_to=None):
    """[(key, heading, attachments)] in the order of the handling, only the groups that have any, each with
    its address (`href`). `revealed_to`: the officer who has just revealed the anonim reporter, whose page
    links the desk's letter scan (it names the writer) with a grant for them alone."""
    found = {key: [] for key in HEADINGS}
    for attachment in complaint.attachments.select_related("event").order_by("created_at", "pk"):
        revealing = revealed_to is not None and policy.is_desk_letter(attachment)
        attachment.href = attachment_links.revealed_url(attachment, revealed_to) if revealing else None
        found[_moment(attachment)].append(attachment)
    return [(key, heading, found[key]) for key, heading in HEADINGS.items() if found[key]]
