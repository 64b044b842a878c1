"""WhatsApp through the HTTP gateway. A business may write freely only within 24 hours of the citizen's
last message; outside that window only templates the provider approved beforehand go out (`templates`)."""

from sikesal.integrations.notify.channels.base import Capabilities, Contact, GatewayChannel


class WhatsApp(GatewayChannel):
    name = "whatsapp"
    capabilities = Capabilities(contact=Contact.PHONE, max_length=4096, encoding="UTF-8", media=True, templates=True)
