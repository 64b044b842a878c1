from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PushSubscription(models.Model):
    """A browser following one report's status by Web Push (opt-in per report, no account).

    Holds no identity: the push service's endpoint and the browser's encryption keys. Deleted when the
    push service says the subscription is gone (404/410) or the citizen stops following."""

    complaint = models.ForeignKey(
        "complaints.Complaint", on_delete=models.CASCADE, related_name="push_subscriptions", verbose_name=_("report")
    )
    endpoint = models.URLField(max_length=1000)
    p256dh = models.CharField(max_length=120)
    auth = models.CharField(max_length=60)
    created_at = models.DateTimeField(default=timezone.now)
    # Which network subscribed it (a keyed hash of core.ratelimit.client_key, never the address): when the
    # report has as many followers as it may, the network holding the most leaves first (views.py).
    network = models.CharField(max_length=24, blank=True, editable=False)
    # The last event pushed to it: a retried handler sends each event once.
    last_event_id = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("push subscription")
        verbose_name_plural = _("push subscriptions")
        constraints = [models.UniqueConstraint(fields=["complaint", "endpoint"], name="push_once_per_report")]

    def __str__(self):
        return f"push {self.pk} → {self.complaint_id}"
