from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboundConfig(AppConfig):
    name = "sikesal.integrations.inbound"
    label = "inbound"
    verbose_name = _("Inbound messages")
