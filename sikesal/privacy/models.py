"""The DPO's registers: the data subjects' requests with their legal clock, the restrictions in force and
the breach register (docs/privacy.md)."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# UU PDP's "3 x 24 jam": calendar hours from receipt, not working days.
THREE_DAYS = dt.timedelta(hours=72)


class DataRequest(models.Model):
    """One request of a data subject that the DPO decides: erasure, restriction or objection. Access and
    rectification are served at once on the citizen's own page (and audited), so they never wait here."""

    class Kind(models.TextChoices):
        ERASURE = "erasure", _("Erasure")
        RESTRICTION = "restriction", _("Restriction of processing")
        OBJECTION = "objection", _("Objection")

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for the DPO")
        DONE = "done", _("Done")
        REFUSED = "refused", _("Refused")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="data_requests")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    # Empty: every report of the account at the time the request is carried out.
    complaint = models.ForeignKey("complaints.Complaint", null=True, blank=True, on_delete=models.SET_NULL)
    detail = models.TextField(_("what the citizen asks"), blank=True)
    received_at = models.DateTimeField(_("received"))
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason given to the citizen"), blank=True)
    told_at = models.DateTimeField(_("citizen told"), null=True, blank=True)
    # A restriction carried out is lifted later, at the citizen's asking: its Restriction rows go, and the
    # request keeps who lifted it, when and why (the citizen's record and the DPO's page read it here).
    lifted_at = models.DateTimeField(_("restriction lifted"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lift_reason = models.TextField(_("reason for lifting given to the citizen"), blank=True)

    class Meta:
        verbose_name = _("data subject's request")
        verbose_name_plural = _("data subjects' requests")
        indexes = [models.Index(fields=["status", "due_at"], name="datarequest_queue")]

    def is_overdue(self, now):
        return self.status == self.Status.OPEN and now > self.due_at

    def is_liftable(self):
        """A restriction carried out and not lifted yet."""
        return self.kind == self.Kind.RESTRICTION and self.status == self.Status.DONE and self.lifted_at is None


class Restriction(models.Model):
    """A reporter whose identity is no longer processed for new purposes (UU PDP Pasal 11 and 41): only the
    messages the complaint procedure requires still reach them (privacy/restriction.py)."""

    reporter = models.OneToOneField("complaints.Reporter", on_delete=models.CASCADE, related_name="restriction")
    request = models.ForeignKey(DataRequest, on_delete=models.PROTECT, related_name="restrictions")
    since = models.DateTimeField()


class Breach(models.Model):
    """A failure of personal-data protection (UU PDP Pasal 46): written notice to the people affected and
    to the regulator within 3 x 24 hours of finding it."""

    found_at = models.DateTimeField(_("found"))
    happened_at = models.DateTimeField(_("happened (if known)"), null=True, blank=True)
    what = models.TextField(_("what happened"))
    data_classes = models.JSONField(_("data classes affected"), default=list)
    affected = models.PositiveIntegerField(_("number of people affected"))
    measures = models.TextField(_("handling and recovery"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    subjects_notified_at = models.DateTimeField(_("people affected notified"), null=True, blank=True)
    regulator_notified_at = models.DateTimeField(_("regulator notified"), null=True, blank=True)
    notified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("personal-data breach")
        verbose_name_plural = _("breach register")
        ordering = ["-found_at"]

    @property
    def due_at(self):
        return self.found_at + THREE_DAYS

    def is_overdue(self, now):
        notified = self.subjects_notified_at is not None and self.regulator_notified_at is not None
        return not notified and now > self.due_at
