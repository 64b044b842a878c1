from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailboxConfig(AppConfig):
    name = "sikesal.integrations.mailbox"
    label = "mailbox"
    verbose_name = _("The city's complaint mailbox")

    def ready(self):
        from sikesal.integrations.inbound import adapters
        from sikesal.integrations.mailbox.adapter import MailboxAdapter

        adapters.register(MailboxAdapter())
