from django.db import models
from django.utils.translation import gettext_lazy as _


class MaritalStatus(models.TextChoices):
    SINGLE = "belum_kawin", _("Not married")
    MARRIED = "kawin", _("Married")
    DIVORCED = "cerai_hidup", _("Divorced")
    WIDOWED = "cerai_mati", _("Widowed")


class Escalation(models.Model):
    """A report taken to the Ombudsman at the reporter's choice, with the identity the law requires.

    This identity is for the Ombudsman only: the policy never shows it to the OPD or the admin, and an
    anonymous report stays anonymous to them.
    """

    class State(models.TextChoices):
        PREPARED = "prepared", _("Prepared, being delivered")
        SENT = "sent", _("Sent to the Ombudsman")
        RECEIVED = "received", _("Received by the Ombudsman")
        EXAMINING = "examining", _("Under examination")
        CLOSED = "closed", _("Closed by the Ombudsman")
        FAILED = "failed", _("Delivery failed")

    complaint = models.OneToOneField("complaints.Complaint", on_delete=models.PROTECT, related_name="escalation")
    created_at = models.DateTimeField(auto_now_add=True)
    full_name = models.CharField(_("full name"), max_length=150)
    birth_place = models.CharField(_("place of birth"), max_length=100)
    birth_date = models.DateField(_("date of birth"))
    marital_status = models.CharField(_("marital status"), max_length=12, choices=MaritalStatus.choices)
    occupation = models.CharField(_("occupation"), max_length=100)
    address = models.CharField(_("full address"), max_length=300)
    nik = models.CharField(_("NIK"), max_length=16, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    confidential = models.BooleanField(_("identity kept confidential"), default=False)
    losses = models.TextField(_("losses suffered"))
    remedy = models.TextField(_("remedy requested"))
    consent = models.BooleanField(_("consent"), default=False)
    state = models.CharField(max_length=12, choices=State.choices, default=State.PREPARED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    file_json = models.JSONField(default=dict)
    file_pdf = models.BinaryField()

    class Meta:
        verbose_name = _("Ombudsman escalation")
        verbose_name_plural = _("Ombudsman escalations")
