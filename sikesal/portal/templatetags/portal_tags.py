import datetime as dt

from django import template
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sikesal.complaints import deadlines as rules
from sikesal.complaints import policy, timeline
from sikesal.complaints.states import CLOSED_STATES

register = template.Library()


@register.filter
def action_label(event):
    return timeline.action_label(event)


@register.filter
def actor_display(event):
    return timeline.actor_display(event)


@register.filter
def status_class(complaint):
    if complaint.status in CLOSED_STATES:
        return "closed"
    if complaint.due_at and complaint.due_at < timezone.now():
        return "overdue"
    return ""


@register.filter
def wib(value):
    """A datetime as Indonesians read it, in WIB: 28 Nov 2026 14.05 WIB. Also an ISO 8601 text with its
    offset (the SP4N-LAPOR! sync keeps its times so); other text is shown as it is."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if timezone.is_naive(value):
            return value.isoformat()
    local = timezone.localtime(value)
    return f"{local.day} {template.defaultfilters.date(local, 'M Y')} {local:%H.%M} WIB"


# Whose deadline it is, as the page says it. Only the reporter is "you": a back-office page is shared by a
# team, so staff read every deadline by its owner.
WHOSE = {
    rules.OPD: _("OPD's deadline (%(what)s)"),
    rules.ADMIN: _("City admin's deadline (%(what)s)"),
    rules.REPORTER: _("Reporter's deadline (%(what)s)"),
}
YOURS = _("Your deadline (%(what)s)")


def _rows(c, reader):
    return [
        {
            "field": row.spec.field,
            "whose": (YOURS if reader == rules.REPORTER == row.spec.owner else WHOSE[row.spec.owner])
            % {"what": row.spec.label},
            "due": row.due,
        }
        for row in rules.shown(c, reader)
    ]


@register.inclusion_tag("portal/_deadlines.html")
def deadlines(c, reader=""):
    """The deadlines that bind `c` now (<dt>/<dd> pairs for a <dl>), each labelled with whose it is, the
    reader's own first: reader is "reporter", "admin" or "opd" (a staff member's, see `deadline_reader`)
    or "" for the public, who see the same deadlines as everyone, by owner."""
    return {"rows": _rows(c, reader)}


@register.simple_tag
def first_deadline(c, reader=""):
    """The one deadline a list shows for `c`: the reader's own if any binds, else the earliest; or None."""
    rows = _rows(c, reader)
    return rows[0] if rows else None


@register.filter
def deadline_reader(actor):
    """Whose deadlines a staff member reads first: the OPD's for an OPD's staff; everyone else in the back
    office works in the admin koordinator's queues (policy.works_in_an_opd)."""
    return rules.OPD if policy.works_in_an_opd(actor) else rules.ADMIN
