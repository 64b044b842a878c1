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

from collections import namedtuple
from types import SimpleNamespace

from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sikesal.complaints import policy, timeline
from sikesal.complaints.models import Attachment, AttachmentKind, Complaint, Event
from sikesal.complaints.states import CLOSED_STATES, Status, Visibility

# GeoReport requires a service_code on every request, and a client looks it up in services.json. A report
# filed with no service (the admin categorises it; most come from SP4N-LAPOR!) is listed under this code,
# which services.json lists and a POST may name; a catalogue service of the same code would take its place.
UNCATEGORISED = SimpleNamespace(
    code="lainnya",
    name=gettext_lazy("Other (not yet categorised)"),
    description=gettext_lazy("A report that fits no service: the admin chooses the service when verifying it."),
)

# The spec's limit; a web report may be longer (SIKESAL_BODY_MAX), and is cut here with an ellipsis.
DESCRIPTION_MAX = 4000


def w3c(instant):
    """A W3C datetime in WIB (the default zone; no request activates another), to the second."""
    return instant.astimezone(timezone.get_default_timezone()).isoformat(timespec="seconds") if instant else None


# What `row` and the policy's is_public read, as (attribute, lookup): a page is read as tuples into light
# records with these attributes, not as models. A page of 1,000 reports as models built 5,000 instances
# (report, service, OPD, kelurahan, kecamatan), two thirds of its time, and parsed the report's thirty
# other columns.
COLUMNS = (
    ("pk", "pk"),
    ("tracking_number", "tracking_number"),
    ("status", "status"),
    ("is_secret", "is_secret"),
    ("verified_at", "verified_at"),
    ("verify_due_at", "verify_due_at"),
    ("submitted_at", "submitted_at"),
    ("status_changed_at", "status_changed_at"),
    ("due_at", "due_at"),
    ("body", "body"),
    ("address", "address"),
    ("latitude", "latitude"),
    ("longitude", "longitude"),
    ("lapor_tracking_id", "lapor_tracking_id"),
    ("area_id", "area_id"),
    ("service_name", "service__name"),
    ("service_code", "service__code"),
    ("institution_name", "institution__name"),
    ("kelurahan", "area__name"),
    ("kecamatan", "area__parent__name"),
    ("public_note", "public_note"),
    ("public_changed_at", "public_changed_at"),
    ("public_photo_token", "public_photo_token"),
)


# One report as a row reads it (COLUMNS), and with extensions its public events (a list, filled by fetch).
Record = namedtuple("Record", [name for name, _lookup in COLUMNS] + ["public_events"])


def _base():
    """Complaints annotated with what a row needs, so that a page of any length costs the same queries."""
    public_events = Event.objects.filter(complaint=OuterRef("pk"), visibility=Visibility.PUBLIC)
    return Complaint.objects.annotate(
        public_note=Subquery(public_events.exclude(message="").order_by("-created_at", "-id").values("message")[:1]),
        public_changed_at=Subquery(public_events.order_by("-created_at", "-id").values("created_at")[:1]),
        public_photo_token=Subquery(
            Attachment.objects.filter(complaint=OuterRef("pk"), visibility=Visibility.PUBLIC, kind=AttachmentKind.PHOTO)
            .order_by("created_at", "id")
            .values("token")[:1]
        ),
    )


def fetch(queryset, extensions=False):
    """The reports of `queryset` (from `listed` or `by_ids`, filtered, ordered and sliced) as Records; with
    `extensions`, each with its public events (one more query for the whole page)."""
    found = [Record(*values, []) for values in queryset.values_list(*(lookup for _name, lookup in COLUMNS))]
    if extensions and found:
        by_pk = {r.pk: r for r in found}
        events = Event.objects.filter(
            complaint_id__in=by_pk, visibility__in=timeline.AUDIENCE_VISIBILITY["public"]
        ).order_by("created_at", "id")
        for event in events:
            by_pk[event.complaint_id].public_events.append(event)
    return found


def public():
    """The reports whose full record anyone may read (the policy's public reports)."""
    return policy.public_complaints(Complaint.objects.all())


def listed():
    """Reports that appear in lists: all but rahasia ones (full if public, else minimal). Read with `fetch`."""
    return policy.followable_complaints(_base())


def by_ids(ids, extensions=False):
    """Reports a caller names by id: any report, rahasia included (minimal unless public)."""
    return fetch(_base().filter(tracking_number__in=ids).order_by("-submitted_at", "-pk"), extensions)


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
    if c.status == Status.PENDING_INFO:
        # The admin's clock is paused (no due date) while the reporter is asked for more.
        return _("Waiting for more information from the reporter; the details are published once verified.")
    if c.verified_at is None and c.status not in CLOSED_STATES:
        if c.verify_due_at is None:
            return _("Awaiting verification by the admin; the details are published once verified.")
        return _("Awaiting verification by the admin (by %(due)s); the details are published once verified.") % {
            "due": w3c(c.verify_due_at)
        }
    return _("This report is not published; only its status is shown.")


def row(request, c, extensions=False):
    """The GeoReport request row for the Record `c`: full when the policy calls it public, else minimal."""
    full = policy.is_public(c)
    closed = c.status in CLOSED_STATES
    base = {
        "service_request_id": c.tracking_number,
        "status": "closed" if closed else "open",
        "status_notes": (c.public_note or "") if full else _minimal_note(c),
        # A report filed with no service (the admin categorises it; most come from SP4N-LAPOR!) is listed
        # under the catalogue's "other" service, which services.json lists: the spec requires a code.
        "service_name": c.service_name or str(UNCATEGORISED.name),
        "service_code": c.service_code or UNCATEGORISED.code,
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
                "agency_responsible": c.institution_name or "",
                "address": c.address or None,  # empty is null, as in a minimal record
                "address_id": c.area_id or None,
                "lat": c.latitude,
                "long": c.longitude,
                "media_url": (
                    request.build_absolute_uri(reverse("portal:attachment", args=[c.public_photo_token]))
                    if c.public_photo_token
                    else None
                ),
            }
        )
    if extensions:
        base["extended_attributes"] = {}
        base["notes"] = []
        if full:
            base["extended_attributes"] = {
                "kelurahan": c.kelurahan or "",
                "kecamatan": c.kecamatan or "",
                "status_detail": str(Status(c.status).label) if c.status in Status.values else c.status,
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
