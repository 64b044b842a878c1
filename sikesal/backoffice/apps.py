from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    name = "sikesal.backoffice"
    label = "backoffice"
    verbose_name = _("Back office")

    def ready(self):
        from sikesal.backoffice.ladder import notify_rung
        from sikesal.complaints.tasks import EVENT_HANDLERS

        if notify_rung not in EVENT_HANDLERS:
            EVENT_HANDLERS.append(notify_rung)
