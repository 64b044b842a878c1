from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sikesal.complaints.actions import RESPONSE_TEMPLATE_CHOICES


class AuditEntry(models.Model):
    """Who looked at personal data or exported lists, when and why. Append-only, like the timeline."""

    class Kind(models.TextChoices):
        VIEW_IDENTITY = "view_identity", _("Viewed reporter identity")
        REVEAL_ANONYMOUS = "reveal_anonymous", _("Revealed an anonymous reporter")
        EXPORT = "export", _("Exported a list")
        DESK_RECORD = "desk_record", _("Recorded a report at the complaint desk")
        LOGIN = "login", _("Logged in")
        LOGIN_FAILED = "login_failed", _("Failed log-in")
        BLOCK_SENDER = "block_sender", _("Blocked a sender")
        LIFT_BLOCK = "lift_block", _("Lifted a sender's block")
        ANONYMISE = "anonymise", _("Anonymised reporters' personal data")
        # The data subject's rights and the breach register (sikesal/privacy)
        SUBJECT_ACCESS = "subject_access", _("A citizen downloaded what is held about them")
        SUBJECT_RECTIFY = "subject_rectify", _("A citizen corrected their contacts")
        REQUEST_DONE = "request_done", _("Carried out a data subject's request")
        REQUEST_REFUSED = "request_refused", _("Refused a data subject's request")
        LIFT_RESTRICTION = "lift_restriction", _("Lifted a restriction of processing")
        BREACH_RECORD = "breach_record", _("Recorded a personal-data breach")
        BREACH_NOTICE = "breach_notice", _("Recorded the notice of a breach")
        MERGE_ACCOUNTS = "merge_accounts", _("Merged a citizen's duplicate accounts")
        LAPOR_LINK = "lapor_link", _("Linked a report to its SP4N-LAPOR! copy")
        LAPOR_RESEND = "lapor_resend", _("Sent a report to SP4N-LAPOR! again")

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_entries"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    complaint = models.ForeignKey("complaints.Complaint", null=True, blank=True, on_delete=models.PROTECT)
    reason = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ip = models.CharField(max_length=45, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at"]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("audit entries are append-only")
        super().save(*args, **kwargs)


class ResponseTemplate(models.Model):
    """A ready answer for one action, for one service or for all services; edited by admins."""

    ACTIONS = RESPONSE_TEMPLATE_CHOICES  # the actions whose spec says they have ready answers

    action = models.CharField(_("action"), max_length=30, choices=ACTIONS)
    service = models.ForeignKey(
        "catalogue.Service", verbose_name=_("service (empty: all)"), null=True, blank=True, on_delete=models.CASCADE
    )
    title = models.CharField(_("title"), max_length=120)
    text = models.TextField(_("text"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("response template")
        verbose_name_plural = _("response templates")
        ordering = ["action", "title"]

    def __str__(self):
        return self.title

    @classmethod
    def for_complaint(cls, complaint):
        """{action: [templates]} usable on this complaint: its service's and the general ones."""
        qs = cls.objects.filter(active=True).filter(
            models.Q(service__isnull=True) | models.Q(service_id=complaint.service_id)
        )
        grouped = {}
        for template in qs:
            grouped.setdefault(template.action, []).append(template)
        return grouped
