"""The Complaint aggregate: the report, its reporter (restricted), attachments and its timeline.

Nothing here changes `status`: only sikesal.complaints.lifecycle does (transition, and the set-based
sweep through lifecycle.apply).
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sikesal.complaints.states import (
    Channel,
    Classification,
    ComplaintType,
    ContactCheck,
    Status,
    Visibility,
)


def hash_secret(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


class Complaint(models.Model):
    tracking_number = models.CharField(_("tracking number"), max_length=20, unique=True)
    # Only a hash of the private-link secret is kept: a leaked database does not open reporters' pages.
    secret_hash = models.CharField(max_length=64, unique=True, editable=False)

    type = models.CharField(_("type"), max_length=12, choices=ComplaintType.choices, default=ComplaintType.PENGADUAN)
    classification = models.CharField(
        _("classification"), max_length=16, choices=Classification.choices, blank=True, default=""
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("description"))
    incident_date = models.DateField(_("date of incident"), null=True, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    # The area, service and OPD columns lead composite indexes (Meta.indexes) that serve their look-ups
    # too: an index of their own would only cost every report filed another B-tree to write.
    area = models.ForeignKey(
        "catalogue.Area",
        verbose_name=_("kelurahan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    service = models.ForeignKey(
        "catalogue.Service",
        verbose_name=_("service"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,
    )
    answers = models.JSONField(_("answers to the service's questions"), default=dict, blank=True)
    institution = models.ForeignKey(
        "catalogue.Institution",
        verbose_name=_("assigned OPD"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
        db_index=False,
    )
    co_institutions = models.ManyToManyField(
        "catalogue.Institution", verbose_name=_("co-OPDs"), blank=True, related_name="co_complaints"
    )
    assigned_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned officer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_complaints",
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.WEB)
    is_anonymous = models.BooleanField(_("anonymous"), default=False)
    is_secret = models.BooleanField(_("confidential (rahasia)"), default=False)

    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED)
    version = models.PositiveIntegerField(default=0, editable=False)
    submitted_at = models.DateTimeField(_("submitted at"))
    status_changed_at = models.DateTimeField(_("status changed at"))
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first follow-up at"), null=True, blank=True)
    followup_completed_at = models.DateTimeField(_("follow-up completed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    verify_due_at = models.DateTimeField(_("verification due"), null=True, blank=True)
    info_due_at = models.DateTimeField(_("information due"), null=True, blank=True)
    followup_due_at = models.DateTimeField(_("follow-up due"), null=True, blank=True)
    reporter_due_at = models.DateTimeField(_("reporter answer due"), null=True, blank=True)
    final_due_at = models.DateTimeField(_("final resolution due"), null=True, blank=True)
    target_due_at = models.DateTimeField(_("service target"), null=True, blank=True)
    due_at = models.DateTimeField(_("next deadline"), null=True, blank=True)
    next_sweep_at = models.DateTimeField(null=True, blank=True, editable=False)
    overdue_marks = models.JSONField(default=list, blank=True, editable=False)

    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.TextField(_("rating comment"), blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True, on_delete=models.PROTECT, related_name="merged"
    )
    forwarded_to = models.ForeignKey(
        "catalogue.Institution",
        verbose_name=_("forwarded to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="forwarded_complaints",
    )
    ombudsman_escalated_at = models.DateTimeField(_("escalated to the Ombudsman at"), null=True, blank=True)
    # Set by the SP4N-LAPOR! sync when the Ombudsman takes the report over there (never file it twice).
    ombudsman_taken_over = models.BooleanField(_("taken over by the Ombudsman via SP4N-LAPOR!"), default=False)

    lapor_complaint_id = models.CharField(
        _("SP4N-LAPOR! complaint id"), max_length=32, null=True, blank=True, unique=True
    )
    lapor_tracking_id = models.CharField(_("SP4N-LAPOR! tracking id"), max_length=32, blank=True)
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, unique=True, editable=False)
    # Filed while its sender was on the block list (complaints/senders.py): kept and shown to the admin in
    # its own queue, never sent to SP4N-LAPOR! before verification.
    held_by = models.ForeignKey(
        "BlockedSender",
        verbose_name=_("held: sender blocked"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="held_reports",
    )

    # When its reporter's identity, contacts and files were removed (privacy/anonymise.py): set once, so
    # a second run, by retention or by an erasure request, skips it.
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        indexes = [
            models.Index(fields=["status", "due_at"], name="complaint_status_due"),
            models.Index(fields=["institution", "status", "due_at"], name="complaint_opd_status_due"),
            models.Index(fields=["next_sweep_at"], name="complaint_next_sweep"),
            models.Index(fields=["due_at"], name="complaint_due"),
            models.Index(fields=["ombudsman_escalated_at"], name="complaint_escalated"),
            models.Index(fields=["-submitted_at"], name="complaint_submitted"),
            models.Index(fields=["service", "-submitted_at"], name="complaint_service_submitted"),
            # the inbox's queues filtered by service are ordered by deadline
            models.Index(fields=["service", "due_at"], name="complaint_service_due"),
            models.Index(fields=["area", "-submitted_at"], name="complaint_area_submitted"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="complaint_rating_1_5",
            ),
        ]

    def __str__(self):
        return self.tracking_number

    @staticmethod
    def new_secret():
        return secrets.token_urlsafe(24)

    def check_secret(self, secret):
        return bool(secret) and secrets.compare_digest(self.secret_hash, hash_secret(secret))


class Reporter(models.Model):
    """Who filed the report. Kept apart so that only the policy's allowed roles ever load it."""

    complaint = models.OneToOneField(Complaint, on_delete=models.CASCADE, related_name="reporter")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    name = models.CharField(_("name"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    nik = models.CharField(_("NIK"), max_length=16, blank=True)
    # The language the reporter filed in (the web form's, or the conversation's): their messages use it.
    language = models.CharField(_("language"), max_length=8, blank=True)

    class Meta:
        verbose_name = _("reporter")
        verbose_name_plural = _("reporters")
        # "the same reporter repeating" (duplicate check) looks reporters up by contact
        indexes = [
            models.Index(fields=["phone"], name="reporter_phone"),
            models.Index(fields=["email"], name="reporter_email"),
        ]

    def __str__(self):
        return self.name or str(_("(no name)"))


class AttachmentKind(models.TextChoices):
    PHOTO = "photo", _("Photo")
    PDF = "pdf", _("PDF document")
    VIDEO = "video", _("Video")


def attachment_path(instance, filename):
    # The stored name is random: a citizen's file name can carry personal data or path tricks.
    return f"attachments/{instance.complaint_id}/{secrets.token_hex(12)}{instance.extension}"


def new_attachment_token():
    return secrets.token_urlsafe(16)


class Attachment(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey("Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    kind = models.CharField(max_length=10, choices=AttachmentKind.choices)
    content_type = models.CharField(max_length=60)
    extension = models.CharField(max_length=8)
    original_name = models.CharField(max_length=200, blank=True)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC)
    created_at = models.DateTimeField(auto_now_add=True)
    # Its address (/lampiran/<token>/): 128 random bits, so public files cannot be walked by counting ids.
    token = models.CharField(max_length=32, unique=True, default=new_attachment_token, editable=False)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")


class DeskIntake(models.Model):
    """How a report recorded at the complaint desk came in (backoffice/desk.py): who recorded it, how the
    citizen's contact was checked, the social-media post it answers and the scanned letter. Kept apart,
    like the reporter row: the post and the letter can name the citizen. The report's submitted_at is
    when the complaint was received; its submit event says when it was typed, and by whom."""

    complaint = models.OneToOneField(Complaint, on_delete=models.CASCADE, related_name="desk_intake")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="desk_intakes"
    )
    contact_check = models.CharField(_("contact checked"), max_length=16, choices=ContactCheck.choices)
    post_url = models.URLField(_("social-media post"), max_length=500, blank=True)
    letter = models.OneToOneField(
        Attachment, null=True, blank=True, on_delete=models.SET_NULL, related_name="desk_letter_of"
    )

    class Meta:
        verbose_name = _("desk intake")
        verbose_name_plural = _("desk intakes")


class ImmutableEventError(Exception):
    pass


class Event(models.Model):
    """One entry of the timeline. Append-only: the timeline is the record."""

    # Served by the (complaint, created_at) index of Meta.indexes.
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events", db_index=False)
    created_at = models.DateTimeField()
    action = models.CharField(max_length=40)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_role = models.CharField(max_length=20)
    actor_label = models.CharField(max_length=150, blank=True)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    visibility = models.CharField(max_length=10, choices=Visibility.choices)
    message = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["complaint", "created_at"], name="event_complaint_time")]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ImmutableEventError("timeline events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableEventError("timeline events are append-only")


class PendingEffect(models.Model):
    """An event whose side effects (complaints/effects.py HANDLERS) are still to run: written in the change's
    own transaction, taken by the worker in batches (complaints/effect_queue.py) and deleted once run. A
    row whose handlers failed stays with only those handlers, for a later attempt."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    handlers = models.JSONField(default=list, blank=True)  # [] = every handler; else the ones still to run
    attempt = models.PositiveSmallIntegerField(default=1)
    run_after = models.DateTimeField()
    leased_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("pending side effect")
        verbose_name_plural = _("pending side effects")
        indexes = [models.Index(fields=["run_after", "id"], name="pending_effect_due")]


class BlockedSender(models.Model):
    """One entry of the block list (complaints/senders.py): a phone number or e-mail address, canonical,
    whose reports are held for the admin. Never deleted: lifting it, or its expiry, ends it; the audit log
    says who added and lifted it."""

    class Kind(models.TextChoices):
        PHONE = "phone", _("Phone number")
        EMAIL = "email", _("E-mail address")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    address = models.CharField(_("address"), max_length=254)
    reason = models.TextField(_("reason"))
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    added_at = models.DateTimeField(_("added at"))
    # None: added by the prank rule (SIKESAL_ABUSE), from `prank_event`
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    prank_event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("blocked sender")
        verbose_name_plural = _("blocked senders")
        indexes = [models.Index(fields=["kind", "address"], name="blocked_sender_address")]
        constraints = [
            # the prank rule's worker may run twice for one archive event: it blocks once
            models.UniqueConstraint(fields=["prank_event", "kind"], name="blocked_sender_once_per_prank"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.address}"
