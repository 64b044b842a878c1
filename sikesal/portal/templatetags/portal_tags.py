from django import template
from django.utils import timezone

from sikesal.complaints import timeline
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
    """A datetime as Indonesians read it, in WIB: 28 Nov 2026 14.05 WIB."""
    if not value:
        return ""
    local = timezone.localtime(value)
    return f"{local.day} {template.defaultfilters.date(local, 'M Y')} {local:%H.%M} WIB"
