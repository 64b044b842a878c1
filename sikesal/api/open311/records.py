"""What an Open311 reader (anyone, no log-in) learns about a report, in a constant number of queries.

Two records, decided by the policy:
- the full record, for a report the policy calls public (`policy.is_public`: verified, not rahasia, not
  archived by the admin or merged);
- a minimal record for every other report: its id, service, open/closed, a status note saying why there
  is no more, and its requested/updated/expected datetimes. No description, address, coordinates,
  agency, media or timeline. This lets a client follow a report it has just filed while the admin has
  not yet verified it (up to three working days), without publishing anything unverified.

Lists hold the public reports and, minimal, the others that are not rahasia; a rahasia report appears
only when a caller asks for its id (`requests/{id}` or `?service_request_id=`): the list rule is the
policy's (`policy.followable_complaints`).
"""

from django.db.models import OuterRef, Prefetch, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from sikesal.complaints import policy, timeline
from sikesal.complaints.models import Attachment, AttachmentKind, Complaint, Event
from sikesal.complaints.states import CLOSED_STATES, Visibility

# The spec's limit; a web report may be longer (SIKESAL_BODY_MAX), and is cut here with an ellipsis.
DESCRIPTION_MAX = 4000


def w3c(instant):
    """A W3C datetime in WIB (the default zone; no request activates another), to the second."""
    return instant.astimezone(timezone.get_default_timezone()).isoformat(timespec="seconds") if instant else None


# The columns `row` and the policy's is_public read: a page of 1,000 reports reads these and not the
# report's thirty others (most of them datetimes, each parsed in Python), nor the catalogue rows' columns.
ROW_FIELDS = (
    "tracking_number",
    "status",
    "is_secret",
    "verified_at",
    "verify_due_at",
    "submitted_at",
    "status_changed_at",
    "due_at",
    "body",
    "address",
    "latitude",
    "longitude",
    "lapor_tracking_id",
    "service__name",
    "service__code",
    "institution__name",
    "area__name",
    "area__parent__name",
)


def _base(extensions=False):
    """Complaints with what a row needs, annotated so that a page of any length costs the same queries."""
    public_events = Event.objects.filter(complaint=OuterRef("pk"), visibility=Visibility.PUBLIC)
    qs = (
        Complaint.objects.select_related("service", "institution", "area__parent")
        .only(*ROW_FIELDS)
        .annotate(
            public_note=Subquery(
                public_events.exclude(message="").order_by("-created_at", "-id").values("message")[:1]
            ),
            public_changed_at=Subquery(public_events.order_by("-created_at", "-id").values("created_at")[:1]),
            public_photo_id=Subquery(
                Attachment.objects.filter(
                    complaint=OuterRef("pk"), visibility=Visibility.PUBLIC, kind=AttachmentKind.PHOTO
                )
                .order_by("created_at", "id")
                .values("pk")[:1]
            ),
        )
    )
    if extensions:
        qs = qs.prefetch_related(
            Prefetch(
                "events",
                queryset=Event.objects.filter(visibility__in=timeline.AUDIENCE_VISIBILITY["public"]).order_by(
                    "created_at", "id"
                ),
                to_attr="public_events",
            )
        )
    return qs


def public():
    """The reports whose full record anyone may read (the policy's public reports)."""
    return policy.public_complaints(Complaint.objects.all())


def listed(extensions=False):
    """Reports that appear in lists: all but rahasia ones (full if public, else minimal)."""
    return policy.followable_complaints(_base(extensions))


def by_ids(ids, extensions=False):
    """Reports a caller names by id: any report, rahasia included (minimal unless public)."""
    return list(_base(extensions).filter(tracking_number__in=ids).order_by("-submitted_at", "-pk"))


def updated_at(c):
    """When something public last changed: a public event, or (for a closed report) the closing.

    Not `Complaint.updated_at`, which also moves for staff-internal work such as the overdue sweep.
    """
    moments = [c.public_changed_at or c.submitted_at]
    if c.status in CLOSED_STATES and c.status_changed_at:
        moments.append(c.status_changed_at)
    return max(moments)


def _minimal_note(c):
    if c.is_secret:
        return _("Confidential report: only its status is published.")
    if c.verified_at is None and c.status not in CLOSED_STATES:
        return _("Awaiting verification by the admin (by %(due)s); the details are published once verified.") % {
            "due": w3c(c.verify_due_at)
        }
    return _("This report is not published; only its status is shown.")


def row(request, c, extensions=False):
    """The GeoReport request row for `c`: full when the policy calls it public, else minimal."""
    full = policy.is_public(c)
    closed = c.status in CLOSED_STATES
    base = {
        "service_request_id": c.tracking_number,
        "status": "closed" if closed else "open",
        "status_notes": (c.public_note or "") if full else _minimal_note(c),
        "service_name": c.service.name if c.service else "",
        "service_code": c.service.code if c.service else "",
        "description": None,
        "agency_responsible": None,
        "service_notice": None,
        "requested_datetime": w3c(c.submitted_at),
        "updated_datetime": w3c(updated_at(c)),
        "expected_datetime": None if closed else w3c(c.due_at),
        "address": None,
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }
    if full:
        base.update(
            {
                "description": c.body if len(c.body) <= DESCRIPTION_MAX else c.body[: DESCRIPTION_MAX - 1] + "…",
                "agency_responsible": c.institution.name if c.institution else "",
                "address": c.address,
                "address_id": c.area_id or None,
                "lat": c.latitude,
                "long": c.longitude,
                "media_url": (
                    request.build_absolute_uri(reverse("portal:attachment", args=[c.public_photo_id]))
                    if c.public_photo_id
                    else None
                ),
            }
        )
    if extensions:
        base["extended_attributes"] = {}
        base["notes"] = []
        if full:
            base["extended_attributes"] = {
                "kelurahan": c.area.name if c.area else "",
                "kecamatan": c.area.parent.name if c.area and c.area.parent else "",
                "status_detail": str(c.get_status_display()),
                "lapor_tracking_id": c.lapor_tracking_id,
            }
            base["notes"] = [
                {
                    "datetime": w3c(e.created_at),
                    "type": e.action,
                    "summary": str(timeline.action_label(e)),
                    "description": e.message,
                }
                for e in c.public_events
            ]
    return base
