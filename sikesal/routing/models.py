"""Trained routing models (versioned) and the suggestion recorded for each report."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ModelVersion(models.Model):
    """One trained router. The blob is written by our own code only (it is a pickle; see model.py)."""

    class Kind(models.TextChoices):
        COLD_START = "cold_start", _("Catalogue only (cold start)")
        LEARNED = "learned", _("Learned from dispositions")

    created_at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    examples = models.PositiveIntegerField(default=0)  # routed reports it learned from
    classes = models.PositiveIntegerField(default=0)
    train_seconds = models.FloatField(default=0)
    blob = models.BinaryField()
    active = models.BooleanField(default=False, db_index=True)

    class Meta:
        verbose_name = _("routing model")


class Suggestion(models.Model):
    """What the router proposed for a report when it arrived, and with which model."""

    complaint = models.OneToOneField("complaints.Complaint", on_delete=models.CASCADE, related_name="suggestion")
    model = models.ForeignKey(ModelVersion, on_delete=models.SET_NULL, null=True, related_name="suggestions")
    top_institution = models.ForeignKey("catalogue.Institution", null=True, on_delete=models.SET_NULL, related_name="+")
    data = models.JSONField(default=dict)  # {"opds": [...], "services": [...], "words": [...]}
    created_at = models.DateTimeField(auto_now_add=True)
