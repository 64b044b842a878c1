from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One message about one timeline event on one channel to one address: unique, so re-runs are harmless.
    (An event may reach several reporters: those whose duplicate reports were merged into this one.)"""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        HELD = "held", _("Held")  # not sent: a contact that never confirmed (handlers.py), with the reason

    event = models.ForeignKey("complaints.Event", on_delete=models.CASCADE, related_name="notifications")
    channel = models.CharField(max_length=10)
    to = models.CharField(max_length=254)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    language = models.CharField(max_length=8, blank=True)  # the reporter's (Reporter.language); blank: Indonesian

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["event", "channel", "to"], name="notification_once_per_recipient")
        ]
