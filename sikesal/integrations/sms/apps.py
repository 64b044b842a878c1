from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SmsConfig(AppConfig):
    name = "sikesal.integrations.sms"
    label = "sms"
    verbose_name = _("SMS")

    def ready(self):
        from sikesal.integrations.inbound import adapters
        from sikesal.integrations.sms.adapter import SmsAdapter

        adapters.register(SmsAdapter())
