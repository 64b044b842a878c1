from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LaporConfig(AppConfig):
    name = "sikesal.integrations.lapor"
    label = "lapor"
    verbose_name = _("SP4N-LAPOR! sync")

    def ready(self):
        from sikesal.complaints.tasks import EVENT_HANDLERS
        from sikesal.integrations.lapor.outbound import on_event

        if on_event not in EVENT_HANDLERS:
            EVENT_HANDLERS.append(on_event)
