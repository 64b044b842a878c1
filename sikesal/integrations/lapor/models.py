"""Bookkeeping of the SP4N-LAPOR! sync: what must go out, what is linked, what could not be read."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxKind(models.TextChoices):
    CREATE = "create", _("Create on SP4N-LAPOR!")
    ROUTE = "route", _("Disposition to the OPD")
    FOLLOWUP = "followup", _("Follow-up")
    REJECT = "reject", _("Not our authority")


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    DONE = "done", _("Sent")
    PARKED = "parked", _("Refused; needs a person")
    # Refused because the report was already final on SP4N-LAPOR! (the reporter closed it there): the
    # change stays on the local timeline and a Conflict records it (docs/lapor.md, "Conflicts").
    SUPERSEDED = "superseded", _("Not sent: the report was already closed on SP4N-LAPOR!")


class Outbox(models.Model):
    """One call (or, for a create, the resumable steps upload -> create) that SP4N-LAPOR! must receive.
    Rows of one report are sent in order; an event gives at most one row (the handler may run twice)."""

    complaint = models.ForeignKey("complaints.Complaint", on_delete=models.CASCADE, related_name="lapor_outbox")
    event = models.OneToOneField(
        "complaints.Event", null=True, blank=True, on_delete=models.CASCADE, related_name="lapor_outbox"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=OutboxKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    state = models.JSONField(default=dict, blank=True)  # progress of resumable steps and remote ids
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    leased_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("SP4N-LAPOR! outbox item")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="lapor_outbox_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint"], condition=models.Q(kind="create"), name="lapor_outbox_one_create"
            )
        ]


class Link(models.Model):
    """A local report and its SP4N-LAPOR! twin, with what the last pull saw of the remote side."""

    class Origin(models.TextChoices):
        LOCAL = "local", _("Filed in SIKESAL")
        LAPOR = "lapor", _("Filed on SP4N-LAPOR!")

    complaint = models.OneToOneField("complaints.Complaint", on_delete=models.CASCADE, related_name="lapor_link")
    remote_id = models.CharField(max_length=32, unique=True)
    tracking_id = models.CharField(max_length=32, blank=True)
    origin = models.CharField(max_length=10, choices=Origin.choices)
    remote_status = models.IntegerField(null=True, blank=True)
    remote_updated_at = models.DateTimeField(null=True, blank=True)
    followups_seen = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)


class RemoteFollowup(models.Model):
    """A follow-up known on both sides: sent by us (out) or brought into the timeline (in)."""

    complaint = models.ForeignKey("complaints.Complaint", on_delete=models.CASCADE, related_name="lapor_followups")
    remote_id = models.CharField(max_length=32, unique=True)
    direction = models.CharField(max_length=3, choices=[("out", "out"), ("in", "in")])
    event = models.ForeignKey("complaints.Event", null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)


class Parked(models.Model):
    """A payload from SP4N-LAPOR! that could not be used, kept whole with a readable reason."""

    remote_id = models.CharField(max_length=32, blank=True, db_index=True)
    reason = models.TextField()
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("parked SP4N-LAPOR! payload")


class Master(models.Model):
    """Institutions, categories and reply templates as SP4N-LAPOR! lists them."""

    kind = models.CharField(max_length=20)
    remote_id = models.CharField(max_length=40)
    name = models.CharField(max_length=300)
    data = models.JSONField(default=dict)
    synced_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "remote_id"], name="lapor_master_unique")]


class SyncState(models.Model):
    """Cursors, leases and the last outcome of each sync job (one row per key)."""

    key = models.CharField(max_length=40, unique=True)
    value = models.JSONField(default=dict)
    lease_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)


class Conflict(models.Model):
    """Both sides changed one report in ways that disagree. Most are settled by the written rule
    (docs/lapor.md, "Conflicts") and kept for the record; the rest wait for the admin."""

    class Rule(models.TextChoices):
        REMOTE_FINAL_WINS = "remote_final_wins", _("Closed on SP4N-LAPOR! first: the local report follows")
        NEEDS_PERSON = "needs_person", _("Needs the admin")

    complaint = models.ForeignKey("complaints.Complaint", on_delete=models.CASCADE, related_name="lapor_conflicts")
    local_status = models.CharField(max_length=20)
    remote_status = models.IntegerField(null=True, blank=True)
    detail = models.TextField()
    rule = models.CharField(max_length=20, choices=Rule.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("SP4N-LAPOR! conflict")
