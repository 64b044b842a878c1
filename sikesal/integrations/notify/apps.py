from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "sikesal.integrations.notify"
    label = "notify"
    verbose_name = _("Notifications")

    def ready(self):
        from sikesal.integrations.notify import checks  # noqa: F401 - registers the channels' checks
