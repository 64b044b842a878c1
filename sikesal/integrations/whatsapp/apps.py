from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WhatsAppConfig(AppConfig):
    name = "sikesal.integrations.whatsapp"
    label = "whatsapp"
    verbose_name = _("WhatsApp")

    def ready(self):
        from sikesal.integrations.inbound import adapters
        from sikesal.integrations.whatsapp.adapter import WhatsAppAdapter

        adapters.register(WhatsAppAdapter())
