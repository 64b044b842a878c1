from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """Who looked at personal data or exported lists, when and why. Append-only, like the timeline."""

    class Kind(models.TextChoices):
        VIEW_IDENTITY = "view_identity", _("Viewed reporter identity")
        REVEAL_ANONYMOUS = "reveal_anonymous", _("Revealed an anonymous reporter")
        EXPORT = "export", _("Exported a list")

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="audit_entries")
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
