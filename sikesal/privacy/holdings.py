"""Everything SIKESAL holds about one citizen (UU PDP Pasal 7 and 32: access, a copy, and the record of its
processing): their reports and contacts, the messages sent to them and received from them, who saw their
identity and when, and their requests. One function builds it; the readable page and the JSON download
show the same thing."""

from django.utils import timezone

from sikesal.backoffice.models import AuditEntry
from sikesal.complaints.models import Complaint
from sikesal.integrations.inbound.models import InboundMessage, OutboundMessage
from sikesal.integrations.notify import channels
from sikesal.integrations.notify.models import Notification
from sikesal.privacy.models import DataRequest

# The audit entries that are someone looking at a reporter's identity.
IDENTITY_SEEN = (AuditEntry.Kind.VIEW_IDENTITY, AuditEntry.Kind.REVEAL_ANONYMOUS)


def own_reports(user):
    """The reports filed with (or linked to) this citizen account."""
    return Complaint.objects.filter(reporter__user=user).select_related("reporter", "service").order_by("-submitted_at")


def addresses(reporters, user=None):
    """Every channel's canonical form of the contacts these Reporter rows (and the account) hold: how the
    messaging channels name this person as a sender or a recipient."""
    written = {(kind, getattr(r, kind, "")) for r in reporters for kind in channels.REPORTER_CONTACTS}
    if user is not None:
        written |= {(channels.Contact.EMAIL, user.email), (channels.Contact.PHONE, user.phone)}
    found = set()
    for kind, value in written:
        for channel in channels.REGISTRY:
            if value and channel.capabilities.contact == kind:
                try:
                    found.add(channel.normalise(value))
                except channels.InvalidAddress:
                    found.add(value)
    return found


def _when(value):
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def held_about(user):
    reports = list(own_reports(user).prefetch_related("attachments"))
    reporters = [c.reporter for c in reports]
    known = addresses(reporters, user)
    complaint_ids = [c.pk for c in reports]
    number = {c.pk: c.tracking_number for c in reports}
    return {
        "generated_at": _when(timezone.now()),
        "account": {
            "username": user.username,
            "email": user.email,
            "phone": user.phone,
            "created_at": _when(user.date_joined),
            "last_login": _when(user.last_login),
        },
        "reports": [
            {
                "tracking_number": c.tracking_number,
                "title": c.title,
                "description": c.body,
                "service": c.service.name if c.service else "",
                "status": c.get_status_display(),
                "submitted_at": _when(c.submitted_at),
                "channel": c.channel,
                "anonymous": c.is_anonymous,
                "confidential": c.is_secret,
                "address": c.address,
                "latitude": c.latitude,
                "longitude": c.longitude,
                "reporter": {
                    "name": c.reporter.name,
                    "phone": c.reporter.phone,
                    "email": c.reporter.email,
                    "nik": c.reporter.nik,
                },
                "restricted": hasattr(c.reporter, "restriction"),
                "attachments": [
                    {"name": a.original_name, "type": a.content_type, "size": a.size, "added_at": _when(a.created_at)}
                    for a in c.attachments.all()
                ],
            }
            for c in reports
        ],
        "messages_sent": [
            {
                "report": number.get(n.event.complaint_id, ""),
                "about": n.event.action,
                "channel": n.channel,
                "to": n.to,
                "state": n.get_state_display(),
                "sent_at": _when(n.sent_at),
            }
            for n in Notification.objects.filter(to__in=known).select_related("event").order_by("event__created_at")
        ]
        + [
            {
                "report": number.get(m.complaint_id, ""),
                "about": "conversation",
                "channel": m.channel,
                "to": m.to,
                "state": m.get_state_display(),
                "sent_at": _when(m.created_at),
                "text": m.body,
            }
            for m in OutboundMessage.objects.filter(to__in=known, notification__isnull=True).order_by("created_at")
        ],
        "messages_received": [
            {"channel": m.channel, "from": m.sender, "sent_at": _when(m.sent_at), "text": m.content.get("text", "")}
            for m in InboundMessage.objects.filter(sender__in=known, kind=InboundMessage.Kind.MESSAGE).order_by(
                "sent_at"
            )
        ],
        "identity_seen_by": [
            {
                "at": _when(e.at),
                "report": number.get(e.complaint_id, ""),
                "what": e.get_kind_display(),
                "who": (e.user.get_full_name() or e.user.username) if e.user else "SIKESAL",
                "position": e.user.get_role_display() if e.user else "",
                "reason": e.reason,
            }
            for e in AuditEntry.objects.filter(complaint_id__in=complaint_ids, kind__in=IDENTITY_SEEN)
            .select_related("user")
            .order_by("at")
        ],
        "requests": [
            {
                "kind": r.get_kind_display(),
                "report": r.complaint.tracking_number if r.complaint else "",
                "received_at": _when(r.received_at),
                "due_at": _when(r.due_at),
                "status": r.get_status_display(),
                "reason": r.reason,
                "lifted_at": _when(r.lifted_at),
                "lift_reason": r.lift_reason,
            }
            for r in DataRequest.objects.filter(user=user).select_related("complaint").order_by("-received_at")
        ],
    }
