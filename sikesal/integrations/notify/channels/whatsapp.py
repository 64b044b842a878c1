"""WhatsApp through the WhatsApp Business Platform Cloud API (sikesal/integrations/whatsapp/client.py).

A business may write freely only within 24 hours of the citizen's last message to it (the customer-service
window); outside it only templates Meta approved beforehand go out. A notification outside the window goes
as the template `sikesal_status_update` with its parameters (docs/channels.md). Without an API URL
(SIKESAL_WHATSAPP_API_URL="") messages go to a JSON-lines file under DATA_DIR/outbox, as the other channels'."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone, translation

from sikesal.integrations.notify.channels.base import (
    Capabilities,
    Contact,
    DeliveryError,
    Message,
    PhoneChannel,
    StatusChange,
    _append_to_file,
)

WINDOW = dt.timedelta(hours=24)
STATUS_TEMPLATE = "sikesal_status_update"  # body parameters: tracking number, status label, link
# "Re-engagement message": the platform's own clock says the window is closed (it may disagree with our record
# of the citizen's last message, or the citizen wrote through another device). The send is refused with it, or
# accepted and then reported failed with it; either way the notification goes again as the template, once.
WINDOW_CLOSED = 131047


@dataclass(frozen=True)
class WhatsAppMessage(Message):
    """A notification: its text, and the template parameters it goes as outside the window."""

    template_parameters: tuple = ()
    language: str = ""  # the language it was rendered in: the template's too
    answers_sent_at: dt.datetime | None = None  # an answer: when the citizen sent the message it answers


class WhatsApp(PhoneChannel):
    name = "whatsapp"
    capabilities = Capabilities(contact=Contact.PHONE, max_length=4096, encoding="UTF-8", media=True, templates=True)

    def render(self, context):
        text = super().render(context)
        parameters = (context["complaint"].tracking_number, f"{context['label']} ({context['status']})")
        language = (translation.get_language() or settings.LANGUAGE_CODE)[:2]
        return WhatsAppMessage(text.subject, text.body, (*parameters, context["track_url"]), language)

    def send(self, outbox, to, message, reference=None):
        """Send; returns the message's wamid. A notification (`reference`: its id) is recorded with its
        wamid, so the platform's delivery reports and the citizen's replies to it find it."""
        from sikesal.integrations.inbound.models import OutboundMessage
        from sikesal.integrations.whatsapp import client

        if not settings.SIKESAL_WHATSAPP_API_URL:
            _append_to_file(self.name, to, message.body)
            return None
        has_template = bool(getattr(message, "template_parameters", ()))
        if self.in_window(to, getattr(message, "answers_sent_at", None)) and not (
            has_template and _window_closed_for(reference)
        ):
            payload = client.text(message.body)
        elif has_template:
            payload = _template(message)
        else:
            raise DeliveryError("whatsapp: outside the 24-hour window and the message has no template")
        try:
            try:
                wamid = client.send(outbox.http(), to, payload)
            except client.CloudApiError as exc:
                if exc.code != WINDOW_CLOSED or payload["type"] == "template" or not has_template:
                    raise
                wamid = client.send(outbox.http(), to, _template(message))
        except client.CloudApiError as exc:
            raise DeliveryError(str(exc)) from exc
        if reference is not None:
            OutboundMessage.objects.create(
                channel=self.name,
                to=to,
                body=message.body,
                external_id=wamid,
                notification_id=reference,
                complaint_id=_complaint_of(reference),
                state=OutboundMessage.State.SENT,
            )
        return wamid

    def in_window(self, to, answering=None):
        """Has `to` written to us in the last 24 hours? `answering`: when they sent the message we answer,
        enough to know for most answers (the conversation's), without a look in the database."""
        from sikesal.integrations.inbound.models import InboundMessage

        if answering is not None and answering > timezone.now() - WINDOW:
            return True
        return InboundMessage.objects.filter(
            channel=self.name, sender=to, kind=InboundMessage.Kind.MESSAGE, sent_at__gt=timezone.now() - WINDOW
        ).exists()

    def status_change(self, payload):
        """A Cloud API status ({"id": wamid, "status": "sent" | "delivered" | "read" | "failed", "error"})
        for the notification sent as that wamid; None for a status of anything else we sent."""
        from sikesal.integrations.inbound.models import OutboundMessage
        from sikesal.integrations.notify.models import Notification

        sent = OutboundMessage.objects.filter(channel=self.name, external_id=payload.get("id")).first()
        if sent is None or sent.notification_id is None:
            return None
        if payload.get("status") == "failed":
            error = str(payload.get("error") or "failed")[:280]
            if payload.get("code") == WINDOW_CLOSED and not _window_closed_for(sent.notification_id, but=sent.pk):
                # Sent as text, refused by the platform's window: pending again, to go as the template
                # (send() sees this failure), once.
                return StatusChange(sent.notification_id, Notification.State.PENDING, f"{self.name}: {error}")
            return StatusChange(sent.notification_id, Notification.State.FAILED, f"{self.name}: {error}")
        if payload.get("status") in {"delivered", "read"}:
            return StatusChange(sent.notification_id, Notification.State.SENT)
        return None


def _template(message):
    from sikesal.integrations.whatsapp import client

    return client.template(STATUS_TEMPLATE, message.language, message.template_parameters)


def _window_closed_for(notification_id, but=None):
    """Has a send of this notification already failed because the platform's window was closed?"""
    from sikesal.integrations.inbound.models import OutboundMessage

    if notification_id is None:
        return False
    failed = OutboundMessage.objects.filter(
        channel=WhatsApp.name,
        notification_id=notification_id,
        state=OutboundMessage.State.FAILED,
        error__contains=f"#{WINDOW_CLOSED}",
    )
    return failed.exclude(pk=but).exists() if but else failed.exists()


def _complaint_of(notification_id):
    from sikesal.integrations.notify.models import Notification

    return Notification.objects.filter(pk=notification_id).values_list("event__complaint_id", flat=True).first()
