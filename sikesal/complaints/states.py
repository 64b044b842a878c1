"""The internal states of a complaint and how they map onto SP4N-LAPOR!'s status names."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    RECEIVED = "received", _("Received, awaiting verification")
    PENDING_INFO = "pending_info", _("Waiting for more information")
    DISPOSITIONED = "dispositioned", _("Dispositioned, not yet handled")
    IN_PROGRESS = "in_progress", _("Being handled")
    FOLLOWED_UP = "followed_up", _("Follow-up given")
    CLOSED_REPORTER = "closed_reporter", _("Closed by the reporter")
    CLOSED_ADMIN = "closed_admin", _("Closed by the admin")
    CLOSED_SYSTEM = "closed_system", _("Closed by the system")
    ARCHIVED_ADMIN = "archived_admin", _("Archived by the admin")
    ARCHIVED_SYSTEM = "archived_system", _("Archived by the system")
    ARCHIVED_REPORTER = "archived_reporter", _("Withdrawn by the reporter")
    RETURNED = "returned", _("Returned: not the OPD's authority")
    FORWARDED = "forwarded", _("Forwarded to another institution")
    MERGED = "merged", _("Merged as a duplicate")


CLOSED_STATES = frozenset(
    {
        Status.CLOSED_REPORTER,
        Status.CLOSED_ADMIN,
        Status.CLOSED_SYSTEM,
        Status.ARCHIVED_ADMIN,
        Status.ARCHIVED_SYSTEM,
        Status.ARCHIVED_REPORTER,
        Status.FORWARDED,
        Status.MERGED,
    }
)
OPEN_STATES = frozenset(Status.values) - CLOSED_STATES
# States in which an OPD holds the report.
WITH_OPD_STATES = frozenset({Status.DISPOSITIONED, Status.IN_PROGRESS, Status.FOLLOWED_UP})


class ComplaintType(models.TextChoices):
    PENGADUAN = "pengaduan", _("Complaint (pengaduan)")
    ASPIRASI = "aspirasi", _("Suggestion (aspirasi)")
    INFORMASI = "informasi", _("Information request")


class Classification(models.TextChoices):
    NONE = "", _("Not classified")
    BERKADAR = "berkadar", _("With oversight content")
    TIDAK_BERKADAR = "tidak_berkadar", _("Without oversight content")


class Channel(models.TextChoices):
    WEB = "web", _("Website")
    ANDROID = "android", _("Android app")
    API = "api", _("Partner API")
    OPEN311 = "open311", _("Open311")
    LAPOR = "lapor", _("SP4N-LAPOR!")
    WHATSAPP = "whatsapp", _("WhatsApp")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    CALL_CENTER = "call_center_112", _("Call center 112")
    WALK_IN = "walk_in", _("Walk-in")
    PHONE = "phone", _("Phone")  # the city's complaint line, taken at the desk (112 is the emergency centre)
    LETTER = "letter", _("Letter")
    SOCIAL = "social_media", _("Social media")


# The channels an officer records at the complaint desk (backoffice/desk.py), in the order offered.
DESK_CHANNELS = (Channel.WALK_IN, Channel.PHONE, Channel.LETTER, Channel.EMAIL, Channel.SOCIAL)


class ContactCheck(models.TextChoices):
    """How a desk officer checked the citizen's contact."""

    ID_SEEN = "id_seen", _("ID card (KTP) seen")
    CALLED_BACK = "called_back", _("Called back")
    EMAIL_REPLIED = "email_replied", _("Answered from the e-mail address")
    NOT_CHECKED = "not_checked", _("Not checked")


class Visibility(models.TextChoices):
    """Who may read a timeline event."""

    PUBLIC = "public", _("Public")
    REPORTER = "reporter", _("Reporter and staff")
    STAFF = "staff", _("Staff only")


class ArchiveReason(models.TextChoices):
    SARA = "sara", _("Contains SARA (ethnic, religious, racial) content")
    NO_EVIDENCE = "no_evidence", _("No supporting evidence")
    UNCLEAR = "unclear", _("Unclear")
    IRRELEVANT = "irrelevant", _("Not relevant")
    DUPLICATE = "duplicate", _("Already reported")
    # Counts toward blocking the sender (complaints/senders.py, SIKESAL_ABUSE).
    PRANK = "prank", _("Not a complaint / prank")
    OTHER = "other", _("Other")
