"""What the channel-independent conversation (integrations/inbound) needs from WhatsApp: its files."""

from django.conf import settings

from sikesal.integrations.inbound.adapters import Adapter, MediaError
from sikesal.integrations.notify.channels.base import Contact
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
