"""What citizens send on a messaging channel (WhatsApp, SMS, e-mail), the conversations it drives and the
answers we send back, kept in the database so that several workers and a crash lose and double nothing."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class InboundMessage(models.Model):
    """One message (or one delivery report) exactly as a channel's webhook delivered it. Unique per channel
    and the provider's id: a re-delivery of the same message stores nothing new."""

    class Kind(models.TextChoices):
        MESSAGE = "message", _("Message")
        STATUS = "status", _("Delivery report")

    channel = models.CharField(max_length=16)
    external_id = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.MESSAGE)
    sender = models.CharField(max_length=254)  # the channel's canonical address of who sent it
    sent_at = models.DateTimeField()  # the provider's timestamp: messages of one sender are handled in its order
    received_at = models.DateTimeField(auto_now_add=True)
    # What the conversation reads, the same for every channel: text, reply_to, location, media, choice.
    content = models.JSONField(default=dict)
    raw = models.JSONField()  # the provider's own object, kept whole
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        constraints = [models.UniqueConstraint(fields=["channel", "external_id"], name="inbound_once")]
        indexes = [
            models.Index(fields=["channel", "sender", "processed_at", "sent_at"], name="inbound_queue"),
            # what the worker looks for first: the messages not yet handled, oldest first (processing.drain)
            models.Index(
                fields=["received_at", "id"], condition=models.Q(processed_at__isnull=True), name="inbound_waiting"
            ),
        ]


class Conversation(models.Model):
    """Where one sender is in filing a report on one channel: the step, the draft so far, the language."""

    channel = models.CharField(max_length=16)
    sender = models.CharField(max_length=254)
    step = models.CharField(max_length=20)
    language = models.CharField(max_length=8)
    draft = models.JSONField(default=dict)
    expires_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        constraints = [models.UniqueConstraint(fields=["channel", "sender"], name="conversation_per_sender")]


class OutboundMessage(models.Model):
    """One message we send on a messaging channel: an answer in a conversation (written in the transaction
    that handled the citizen's message, sent after it) or a notification (written when it was sent). The
    provider's id links its delivery reports and the citizen's replies to it."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        READ = "read", _("Read")
        FAILED = "failed", _("Failed")

    channel = models.CharField(max_length=16)
    to = models.CharField(max_length=254)
    body = models.TextField(blank=True)
    external_id = models.CharField(max_length=200, null=True, blank=True)
    complaint = models.ForeignKey("complaints.Complaint", null=True, blank=True, on_delete=models.SET_NULL)
    notification = models.ForeignKey("notify.Notification", null=True, blank=True, on_delete=models.SET_NULL)
    reply_to = models.ForeignKey(InboundMessage, null=True, blank=True, on_delete=models.SET_NULL)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)  # when a worker took it to send
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"], condition=models.Q(external_id__isnull=False), name="outbound_once"
            )
        ]
        indexes = [
            models.Index(fields=["channel", "to", "state"], name="outbound_queue"),
            # answers a worker took to send and never wrote sent (processing.resend_abandoned)
            models.Index(fields=["claimed_at"], condition=models.Q(state="sending"), name="outbound_claimed"),
        ]
