"""What the channel-independent conversation (integrations/inbound) needs from WhatsApp: its files."""

from django.conf import settings

from sikesal.integrations.inbound.adapters import Adapter, MediaError
from sikesal.integrations.notify.channels.base import Contact
from sikesal.integrations.notify.channels.whatsapp import WhatsAppMessage
from sikesal.integrations.whatsapp import client


class WhatsAppAdapter(Adapter):
    name = "whatsapp"
    contact = Contact.PHONE

    def fetch_media(self, item):
        try:
            _mime, content = client.download(item["id"], max(settings.SIKESAL_UPLOAD_MAX_BYTES.values()))
        except client.CloudApiError as exc:
            raise MediaError(str(exc)) from exc
        return item.get("name") or "whatsapp", content

    def outgoing(self, answer):
        # reply_to is at hand (the conversation set it, or the claim joined it): the send needs no look to
        # know the 24-hour window is open.
        answering = answer.reply_to.sent_at if answer.reply_to_id else None
        return WhatsAppMessage("", answer.body, answers_sent_at=answering)
